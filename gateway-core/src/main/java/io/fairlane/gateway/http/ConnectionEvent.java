package io.fairlane.gateway.http;

/**
 * What can happen to a client connection outside the normal course of a request: the closed set that
 * {@link ConnectionEvents} logs (one line each, rate-limited) and counts. Each has the tag value its counter
 * carries and whether it is the client's doing (logged at INFO) or a fault of ours (WARN, with its stack trace).
 */
public enum ConnectionEvent {

    /** The client began a request but did not finish its headers in time. */
    HEADER_TIMEOUT("header_timeout", true),
    /** A request body arrived too slowly: answered 408 and closed. */
    BODY_TIMEOUT("body_timeout", true),
    /** The client closed or reset the connection while still sending a request. */
    CLIENT_GONE_MID_REQUEST("client_gone_mid_request", true),
    /** The request was not valid HTTP/1.1 (bad request line, conflicting lengths, bad chunk): answered 400. */
    MALFORMED_REQUEST("malformed_request", true),
    /** The client's address already had as many connections as allowed: answered 429 and closed. */
    REFUSED_ADDRESS_LIMIT("refused_address_limit", true),
    /** The server already had as many connections as allowed: answered 503 and closed. */
    REFUSED_TOTAL_LIMIT("refused_total_limit", true),
    /** Anything else that reached a connection's last handler: a fault of ours, closed. */
    UNEXPECTED_ERROR("unexpected_error", false);

    private final String tag;
    private final boolean clientCaused;

    ConnectionEvent(String tag, boolean clientCaused) {
        this.tag = tag;
        this.clientCaused = clientCaused;
    }

    /** The value of the counter's {@code kind} tag. */
    public String tag() {
        return tag;
    }

    /** Whether the client caused it (no stack trace is worth logging). */
    public boolean clientCaused() {
        return clientCaused;
    }
}
