package io.fairlane.gateway.idempotency;

import io.fairlane.gateway.http.BoundedCopy;
import io.fairlane.gateway.http.ResponseTap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * Copies a response as it goes out, up to a size, so that it can be stored for replay. A stream counts
 * as complete only when it ended with {@code data: [DONE]}; one that ended in an error event is not kept.
 *
 * <p>Confined to the exchange's event loop.
 */
final class ResponseCopy implements ResponseTap {

    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

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
        if (event.readableBytes() == DONE.length && Arrays.equals(ByteBufUtil.getBytes(event), DONE)) {
            complete = true;
            return;
        }
        bytes.append(event);
    }

    /** The response to store, or empty when it is not a complete 2xx response within the size limit. */
    Optional<StoredResponse> result() {
        if (!complete || bytes.overflowed() || status < 200 || status > 299) {
            return Optional.empty();
        }
        return Optional.of(new StoredResponse(status, contentType, stream, bytes.toByteArray()));
    }
}
