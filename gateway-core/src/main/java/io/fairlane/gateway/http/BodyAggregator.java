package io.fairlane.gateway.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.function.BiPredicate;

/**
 * Collects a request body up to the configured limit. A larger body (by its {@code Content-Length} or as
 * it arrives, or announced with {@code Expect: 100-continue}) is answered with OpenAI's 413 body instead of
 * Netty's empty one, and the connection closes, since the rest of the body would still be on its way.
 *
 * <p>Requests on streaming routes (file uploads) pass through uncollected, head and chunks as they arrive: their
 * handlers read the body as a stream ({@link RequestBody}) and apply their own limits.
 */
final class BodyAggregator extends HttpObjectAggregator {

    private final long maxBytes;
    private final BiPredicate<HttpMethod, String> streaming;

    BodyAggregator(int maxBytes, BiPredicate<HttpMethod, String> streaming) {
        super(maxBytes, true);
        this.maxBytes = maxBytes;
        this.streaming = streaming;
    }

    @Override
    public boolean acceptInboundMessage(Object msg) throws Exception {
        if (msg instanceof HttpRequest head && !(msg instanceof FullHttpRequest) && head.decoderResult().isSuccess()
                && streaming.test(head.method(), pathOf(head.uri()))) {
            return false;
        }
        return super.acceptInboundMessage(msg);
    }

    private static String pathOf(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        ctx.writeAndFlush(tooLarge(ctx.alloc(), oversized)).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * A request that announces an oversized body with {@code Expect: 100-continue} is refused before its body
     * is sent; Netty's own refusal has an empty body, which SDKs cannot read, so ours replaces it (the
     * aggregator still closes the connection after writing it).
     */
    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        Object response = super.newContinueResponse(start, maxContentLength, pipeline);
        if (response instanceof FullHttpResponse r && r.status().code() == 413) {
            r.release();
            return tooLarge(pipeline.channel().alloc(), start);
        }
        return response;
    }

    private FullHttpResponse tooLarge(ByteBufAllocator alloc, HttpMessage oversized) {
        String requestId = RequestIds.fromHeaders(oversized.headers());
        ApiError e = new ApiError(413, "The request body is larger than the " + (maxBytes >> 20)
                + " MiB this server accepts.", "invalid_request_error", null, "request_too_large");
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                Json.write(alloc, e.toJson()), Headers.OUTGOING, Headers.NO_TRAILERS);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        r.headers().set("x-request-id", requestId);
        r.headers().set("openai-processing-ms", "0");
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return r;
    }
}
