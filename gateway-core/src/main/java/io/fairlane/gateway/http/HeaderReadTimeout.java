package io.fairlane.gateway.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Drops a connection whose client starts a request but does not finish its headers in time (a slowloris
 * client that would otherwise hold a connection forever). The clock starts at the first byte of a
 * request, not at connect, so idle keep-alive connections are left to the idle timeout.
 *
 * <p>Two pipeline entries share this state: this handler sits before the HTTP decoder and sees raw bytes;
 * {@link #completion()} sits after it and sees the decoded request head. Confined to the channel's loop.
 */
final class HeaderReadTimeout extends ChannelDuplexHandler {

    private enum Phase { BETWEEN_REQUESTS, READING_HEADERS, IN_REQUEST }

    private final long timeoutNanos;
    private final ConnectionEvents events;
    private Phase phase = Phase.BETWEEN_REQUESTS;
    private ScheduledFuture<?> timer;
    private long startNanos;

    HeaderReadTimeout(long timeoutNanos, ConnectionEvents events) {
        this.timeoutNanos = timeoutNanos;
        this.events = events;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (phase == Phase.BETWEEN_REQUESTS && msg instanceof ByteBuf b && b.isReadable()) {
            phase = Phase.READING_HEADERS;
            startNanos = System.nanoTime();
        }
        ctx.fireChannelRead(msg);
    }

    /**
     * The timer starts only when a read ends with the headers still incomplete: almost every request
     * arrives whole in one read and never needs one (a timer per request costs a scheduled task).
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (phase == Phase.READING_HEADERS && timer == null) {
            long left = timeoutNanos - (System.nanoTime() - startNanos);
            timer = ctx.executor().schedule(() -> expire(ctx), Math.max(0, left), TimeUnit.NANOSECONDS);
        }
        super.channelReadComplete(ctx);
    }

    private void expire(ChannelHandlerContext ctx) {
        timer = null;
        if (phase == Phase.READING_HEADERS) {
            events.report(ConnectionEvent.HEADER_TIMEOUT, ctx.channel(), "request headers not complete within "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms; closed");
            ctx.close();
        }
    }

    private void headersComplete() {
        phase = Phase.IN_REQUEST;
        cancel();
    }

    private void requestComplete() {
        phase = Phase.BETWEEN_REQUESTS;
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    /** The handler to place after the HTTP decoder. */
    ChannelHandler completion() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof HttpRequest) {
                    headersComplete();
                }
                if (msg instanceof LastHttpContent) {
                    requestComplete();
                }
                ctx.fireChannelRead(msg);
            }
        };
    }
}
