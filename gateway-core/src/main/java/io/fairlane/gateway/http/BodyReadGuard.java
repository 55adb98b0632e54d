package io.fairlane.gateway.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Bounds how long a request body may take: after its headers, a body has {@code grace} plus one second for
 * every {@code minBytesPerSecond} bytes received so far. A client that keeps up the minimum rate is never cut;
 * one that trickles (a byte every few seconds) or stalls is cut about {@code grace} after its headers: its
 * request is answered {@code 408} (an OpenAI error body, through the error mapper and the access log) and the
 * connection closes. The headers have their own deadline ({@link HeaderReadTimeout}); idle timers that reset on
 * every byte would let a trickle live forever.
 *
 * <p>It sits right after the HTTP codec ({@link #NAME}) and sees the decoded request parts, so it guards every
 * route's body, aggregated or streamed: a handler that streams a body (an upload to disk) goes after it and is
 * covered without doing anything. Time the server itself is not reading is not the client's fault and is not
 * counted: when {@code AUTO_READ} is off (a streaming consumer applying backpressure), the time from the end of
 * a read until the consumer asks for more ({@code read()}) is excused.
 *
 * <p>No timer runs for a body that arrives in the same read as its headers (nearly all of them). One instance
 * per connection, confined to its event loop.
 */
public final class BodyReadGuard extends ChannelDuplexHandler {

    /** The guard's name in every connection's pipeline. */
    public static final String NAME = "body-read-guard";

    private final long graceNanos;
    private final long minBytesPerSecond;
    private final ConnectionEvents events;
    private HttpRequest head;
    private long startNanos;
    private long received;
    private long excusedNanos;
    /** When the last read ended with nobody asking for more (AUTO_READ off), else -1. */
    private long heldSince = -1;
    private boolean readRequested;
    private boolean expired;
    private ScheduledFuture<?> timer;

    /**
     * @param grace             time a body gets whatever its size
     * @param minBytesPerSecond each this many bytes received earns one more second; 0 turns the rate off (the
     *                          body must then arrive within {@code grace})
     */
    public BodyReadGuard(Duration grace, long minBytesPerSecond, ConnectionEvents events) {
        this.graceNanos = grace.toNanos();
        this.minBytesPerSecond = minBytesPerSecond;
        this.events = Objects.requireNonNull(events, "events");
        if (graceNanos <= 0 || minBytesPerSecond < 0) {
            throw new IllegalArgumentException("grace must be > 0 and the rate >= 0, were " + grace + " and "
                    + minBytesPerSecond);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        readRequested = false;
        if (expired) {
            // The request was answered 408 and the connection is closing: nothing more of it goes on.
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest request && !(msg instanceof FullHttpMessage)) {
            head = request;
            startNanos = System.nanoTime();
            received = 0;
            excusedNanos = 0;
            heldSince = -1;
        }
        if (msg instanceof HttpContent content && head != null) {
            received += content.content().readableBytes();
            if (msg instanceof LastHttpContent) {
                bodyComplete();
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (head != null) {
            if (!ctx.channel().config().isAutoRead() && !readRequested) {
                heldSince = System.nanoTime();
            }
            if (timer == null && !expired) {
                schedule(ctx, allowedNanos() - (System.nanoTime() - startNanos));
            }
        }
        super.channelReadComplete(ctx);
    }

    @Override
    public void read(ChannelHandlerContext ctx) throws Exception {
        readRequested = true;
        if (heldSince >= 0) {
            excusedNanos += System.nanoTime() - heldSince;
            heldSince = -1;
        }
        super.read(ctx);
    }

    private long allowedNanos() {
        long earned = minBytesPerSecond == 0 ? 0
                : (long) Math.min(Long.MAX_VALUE / 4, received * 1e9 / minBytesPerSecond);
        long held = heldSince >= 0 ? System.nanoTime() - heldSince : 0;
        return graceNanos + earned + excusedNanos + held;
    }

    private void schedule(ChannelHandlerContext ctx, long delayNanos) {
        timer = ctx.executor().schedule(() -> check(ctx), Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
    }

    /** At the projected deadline: cut the body if it is still behind, else look again when it would be. */
    private void check(ChannelHandlerContext ctx) {
        timer = null;
        if (head == null || expired) {
            return;
        }
        long elapsed = System.nanoTime() - startNanos;
        long allowed = allowedNanos();
        if (elapsed < allowed) {
            schedule(ctx, allowed - elapsed);
            return;
        }
        expired = true;
        HttpRequest request = head;
        head = null;
        long seconds = TimeUnit.NANOSECONDS.toSeconds(elapsed);
        events.report(ConnectionEvent.BODY_TIMEOUT, ctx.channel(), request.method() + " " + request.uri() + ": "
                + received + " body bytes in " + seconds + " s");
        ApiError error = new ApiError(408, "The request body did not arrive in time: " + received + " bytes in "
                + seconds + " s. Send the body at once, at " + (minBytesPerSecond == 0 ? "any rate, within "
                + TimeUnit.NANOSECONDS.toSeconds(graceNanos) + " s" : "no less than " + minBytesPerSecond
                + " bytes per second") + ".", "invalid_request_error", null, "request_timeout");
        ctx.fireChannelRead(FailedRequests.of(request, new ApiException(error)));
    }

    private void bodyComplete() {
        head = null;
        heldSince = -1;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        bodyComplete();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        bodyComplete();
    }
}
