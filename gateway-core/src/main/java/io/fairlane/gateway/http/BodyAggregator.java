package io.fairlane.gateway.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Collects a request body up to the configured limit. A larger body (by its {@code Content-Length} or as
 * it arrives) is answered with OpenAI's 413 body instead of Netty's empty one, and the connection closes,
 * since the rest of the body would still be on its way.
 */
final class BodyAggregator extends HttpObjectAggregator {

    private final long maxBytes;

    BodyAggregator(int maxBytes) {
        super(maxBytes, true);
        this.maxBytes = maxBytes;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        String requestId = RequestIds.fromHeaders(oversized.headers());
        ApiError e = new ApiError(413, "The request body is larger than the " + (maxBytes >> 20)
                + " MiB this server accepts.", "invalid_request_error", null, "request_too_large");
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                Json.write(ctx.alloc(), e.toJson()), Headers.OUTGOING, Headers.NO_TRAILERS);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        r.headers().set("x-request-id", requestId);
        r.headers().set("openai-processing-ms", "0");
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }
}
