package io.fairlane.gateway.idempotency;

import io.fairlane.gateway.http.BoundedCopy;
import io.fairlane.gateway.http.ResponseTap;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Optional;

/**
 * Copies a response as it goes out, up to a size, so that it can be stored for replay. A stream counts
 * as complete only when it ended cleanly (with {@code data: [DONE]}, or the end of a Responses stream); one that
 * ended in an error event is not kept. A stream's copy holds every byte written, its end included, so that a
 * replay writes exactly what the first answer did.
 *
 * <p>Confined to the exchange's event loop.
 */
final class ResponseCopy implements ResponseTap {

    private final BoundedCopy bytes;
    private int status;
    private String contentType = "application/json";
    private boolean stream;
    private boolean complete;

    ResponseCopy(long limit) {
        this.bytes = new BoundedCopy(limit);
    }

    @Override
    public void response(int status, HttpHeaders headers, ByteBuf body) {
        this.status = status;
        this.contentType = headers.get(HttpHeaderNames.CONTENT_TYPE, contentType);
        bytes.append(body);
        complete = true;
    }

    @Override
    public void streamStarted(HttpHeaders headers) {
        status = 200;
        stream = true;
    }

    @Override
    public void event(ByteBuf event) {
        bytes.append(event);
    }

    @Override
    public void streamEnded() {
        complete = true;
    }

    /** The response to store, or empty when it is not a complete 2xx response within the size limit. */
    Optional<StoredResponse> result() {
        if (!complete || bytes.overflowed() || status < 200 || status > 299) {
            return Optional.empty();
        }
        return Optional.of(new StoredResponse(status, contentType, stream, bytes.toByteArray()));
    }
}
