package io.fairlane.gateway.lane.routing;

/**
 * How one attempt at a target ended, as routing judges it: whether it speaks against the target's health
 * ({@link #failure}), and its name in meters and logs. The client's own doing (it left, or stopped reading) and a
 * throttling answer say nothing about the target's health.
 */
public enum Outcome {
    OK("ok", false),
    /** The target answered 4xx other than 429: it is up; the request was refused. */
    HTTP_4XX("http_4xx", false),
    /** 429: the target is up but refuses work for a while; it is throttled, not ejected. */
    HTTP_429("http_429", false),
    HTTP_5XX("http_5xx", true),
    CONNECT_ERROR("connect_error", true),
    /** The connection reset or closed before the answer ended. */
    RESET("reset", true),
    /** A connect, first-byte, between-chunks or total deadline passed. */
    TIMEOUT("timeout", true),
    /** An answer that is not what the protocol allows: malformed events, a truncated stream, too much output. */
    BAD_RESPONSE("bad_response", true),
    /** The client went away. */
    CANCELLED("cancelled", false),
    /** The client stopped reading its stream for longer than the slow-client timeout. */
    SLOW_CLIENT("slow_client", false);

    private final String wire;
    private final boolean failure;

    Outcome(String wire, boolean failure) {
        this.wire = wire;
        this.failure = failure;
    }

    /** The meter and log name. */
    public String wire() {
        return wire;
    }

    /** Whether it counts against the target in its breaker. */
    public boolean failure() {
        return failure;
    }

    /** Whether the client, not the target, ended the attempt. */
    public boolean clientCaused() {
        return this == CANCELLED || this == SLOW_CLIENT;
    }
}
