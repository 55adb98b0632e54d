package io.fairlane.gateway.lane.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.ClosedChannelException;

/**
 * The last handler of an upstream connection: passes the response to whichever call holds the
 * connection, and remembers whether the connection can be reused (the response ended and both sides
 * allow keep-alive). An idle pooled connection is closed by its idle timer.
 *
 * <p>Reads are explicit ({@code AUTO_READ} is off): the call holding the connection asks for the next
 * chunk when the client has taken the last one, which is how a slow client slows the upstream down
 * without the gateway buffering.
 *
 * <p>Confined to the connection's event loop.
 */
public final class UpstreamConnection extends ChannelInboundHandlerAdapter {

    private final Channel channel;
    private final PoolKey pool;
    private UpstreamListener listener;
    private boolean keepAlive;
    private boolean responseEnded = true;

    UpstreamConnection(Channel channel, PoolKey pool) {
        this.channel = channel;
        this.pool = pool;
    }

    public Channel channel() {
        return channel;
    }

    PoolKey pool() {
        return pool;
    }

    /** Hands the connection to a call for one request/response exchange. */
    public void attach(UpstreamListener l) {
        this.listener = l;
        this.responseEnded = false;
        this.keepAlive = true;
    }

    /** Whether the connection may go back to the pool: its response ended cleanly with keep-alive. */
    public boolean reusable() {
        return responseEnded && keepAlive && channel.isActive();
    }

    void detach() {
        listener = null;
    }

    /** Asks for the next chunk of the response. */
    public void read() {
        channel.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        UpstreamListener l = listener;
        if (l == null) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse head) {
            keepAlive = HttpUtil.isKeepAlive(head);
            if (head.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                fail(head.decoderResult().cause());
                return;
            }
            l.onHead(head);
        }
        if (msg instanceof HttpContent content) {
            if (content instanceof LastHttpContent) {
                responseEnded = true;
                listener = null;
            }
            l.onContent(content);
        } else if (!(msg instanceof HttpResponse)) {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        fail(new ClosedChannelException());
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(cause);
        ctx.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent && listener == null) {
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    private void fail(Throwable cause) {
        UpstreamListener l = listener;
        listener = null;
        keepAlive = false;
        if (l != null && !responseEnded) {
            l.onError(cause);
        }
    }
}
