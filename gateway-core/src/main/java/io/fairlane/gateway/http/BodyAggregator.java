package io.fairlane.gateway.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import java.util.function.BiPredicate;

/**
 * Collects a request body up to the configured limit. A larger body (by its {@code Content-Length} or as
 * it arrives, or announced with {@code Expect: 100-continue}) is answered with OpenAI's 413 body instead of
 * Netty's empty one, and the connection closes, since the rest of the body would still be on its way. The
 * refusal goes on to the dispatcher as a failed request ({@link FailedRequests}), so it is answered in order and
 * the access log and request counters see it.
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
        if (oversized instanceof HttpRequest request) {
            ctx.fireChannelRead(FailedRequests.of(request, new ApiException(tooLarge())));
        } else {
            ctx.close();
        }
    }

    /**
     * A request that announces an oversized body with {@code Expect: 100-continue} is refused before its body
     * is sent: instead of Netty's own empty 413 (which SDKs cannot read), no interim response, so that the
     * aggregator takes the request as oversized by its {@code Content-Length} and {@link #handleOversizedMessage}
     * answers it with the error body.
     */
    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        Object response = super.newContinueResponse(start, maxContentLength, pipeline);
        if (response instanceof FullHttpResponse r && r.status().code() == 413) {
            r.release();
            return null;
        }
        return response;
    }

    private ApiError tooLarge() {
        return new ApiError(413, "The request body is larger than the " + sizeText(maxBytes)
                + " this server accepts.", "invalid_request_error", null, "request_too_large");
    }

    private static String sizeText(long bytes) {
        return bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? (bytes >> 20) + " MiB"
                : bytes >= 1 << 10 && bytes % (1 << 10) == 0 ? (bytes >> 10) + " KiB" : bytes + " bytes";
    }
}
