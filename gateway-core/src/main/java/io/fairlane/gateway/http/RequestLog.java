package io.fairlane.gateway.http;

/**
 * What one request did, filled in as it runs and read once it ends by the access log and the metrics.
 * Never holds prompt or completion text. Confined to the request's event loop.
 */
public final class RequestLog {

    /** Tenant id, or null before authentication. */
    public String tenant;
    /** The model id the client asked for, or null before the body was read. */
    public String model;
    /** {@code chat}, {@code completions}, {@code embeddings}, {@code models}, ... */
    public String endpoint = "other";
    /** Whether the response was a stream. */
    public boolean stream;
    /** The service tier the request was scheduled in, or null. */
    public String serviceTier;
    /** HTTP status sent (or, for a stream that failed after it began, the status its error maps to). */
    public int status;
    /** Error code or type when the request failed. */
    public String error;
    /** Nanos from arrival to the first output token, or -1. */
    public long ttftNanos = -1;
    /** Nanos spent waiting in a tenant scheduler, or -1. */
    public long queueNanos = -1;
    public int promptTokens;
    public int cachedTokens;
    public int completionTokens;
    /** Total nanos from arrival to the last byte handed to the socket. */
    public long durationNanos;
    /** Nanos of the previous output token, for inter-token latency. */
    long lastTokenNanos = -1;
}
