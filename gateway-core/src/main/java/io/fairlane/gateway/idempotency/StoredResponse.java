package io.fairlane.gateway.idempotency;

import java.util.Objects;

/**
 * A response kept for replay: a JSON body, or a stream's events as they were written, its end included.
 *
 * @param status      HTTP status (2xx)
 * @param contentType the {@code Content-Type} of a JSON body; unused for streams
 * @param stream      whether it was a {@code text/event-stream}
 * @param bytes       the body, or the events
 */
public record StoredResponse(int status, String contentType, boolean stream, byte[] bytes) {

    public StoredResponse {
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(bytes, "bytes");
        if (status < 200 || status > 299) {
            throw new IllegalArgumentException("only 2xx responses are stored, was " + status);
        }
    }

    public int size() {
        return bytes.length;
    }

    @Override
    public String toString() {
        return "StoredResponse[" + status + (stream ? " stream" : " body") + ", " + bytes.length + " bytes]";
    }
}
