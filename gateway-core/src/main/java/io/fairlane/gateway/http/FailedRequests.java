package io.fairlane.gateway.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;

/**
 * Requests the front end refuses before their body is read (too large, too slow, over a connection cap) travel
 * to the {@link RequestDispatcher} like the decoder's malformed ones: as a body-less request whose decoder
 * result is the failure. So every refusal is answered in order on its connection, through the error mapper and
 * the global decorators (the access log and the request counters see it), and closes the connection after.
 */
final class FailedRequests {

    private FailedRequests() {
    }

    /** A body-less copy of {@code head} that failed with {@code cause}. */
    static FullHttpRequest of(HttpRequest head, Throwable cause) {
        FullHttpRequest r = new DefaultFullHttpRequest(head.protocolVersion(), head.method(), head.uri(),
                Unpooled.EMPTY_BUFFER, head.headers(), EmptyHttpHeaders.INSTANCE);
        r.setDecoderResult(DecoderResult.failure(cause));
        return r;
    }

    /**
     * The handler a refused connection gets after its codec: its first request becomes a failed one carrying
     * {@code error}, and everything after it is dropped (the connection closes once that is answered).
     */
    static ChannelInboundHandlerAdapter refuseAll(ApiError error) {
        return new ChannelInboundHandlerAdapter() {
            private boolean answered;

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (!answered && msg instanceof HttpRequest head) {
                    answered = true;
                    FullHttpRequest failed = of(head, new ApiException(error));
                    ReferenceCountUtil.release(msg);
                    ctx.fireChannelRead(failed);
                    return;
                }
                ReferenceCountUtil.release(msg);
            }
        };
    }
}
