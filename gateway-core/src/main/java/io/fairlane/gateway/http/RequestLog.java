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
    /**
     * The upstream refused the request for lack of capacity (its 429): a 4xx on the wire, but a failure on
     * Fairlane's side as far as SLOs are concerned, unlike the tenant's own rate limits.
     */
    public boolean upstreamThrottled;
    /** The upstream target that served (or last tried) the request, or null for other lanes. */
    public String upstreamTarget;
    /** Upstream attempts the request took (0 for other lanes). */
    public int upstreamAttempts;
    /** Output tokens (chunks, for relayed streams) marked so far. */
    public int outputMarks;
    /** Nanos (System.nanoTime) of the first output token, for the mean inter-token latency. */
    private long firstTokenNanos = -1;
    /** Nanos of the previous output token, for inter-token latency. */
    private long lastTokenNanos = -1;

    /** Records the tokens the request used, for the access log and the token counters. */
    public void recordTokens(int prompt, int cached, int completion) {
        promptTokens = prompt;
        cachedTokens = cached;
        completionTokens = completion;
    }

    /**
     * Marks an output token sent at {@code nowNanos} of a request that arrived at {@code startNanos}: the
     * first sets the TTFT, each later one returns its gap to the previous one (else -1).
     */
    public long markToken(long nowNanos, long startNanos) {
        return markTokens(nowNanos, startNanos, 1);
    }

    /**
     * Marks {@code count} output tokens sent together at {@code nowNanos}: as many single marks at that instant,
     * so the first may set the TTFT and the gap returned is the first one's (the others' are 0).
     */
    public long markTokens(long nowNanos, long startNanos, int count) {
        long gap = -1;
        if (ttftNanos < 0) {
            ttftNanos = nowNanos - startNanos;
            firstTokenNanos = nowNanos;
        } else {
            gap = nowNanos - lastTokenNanos;
        }
        lastTokenNanos = nowNanos;
        outputMarks += count;
        return gap;
    }

    /**
     * The mean gap between consecutive output tokens (chunks, for relayed streams) of this response, from
     * the first to the last: what an inter-token-latency SLO judges. -1 with fewer than two.
     */
    public long meanInterTokenNanos() {
        return outputMarks < 2 ? -1 : (lastTokenNanos - firstTokenNanos) / (outputMarks - 1);
    }
}
