package io.fairlane.gateway.lane.local;

import io.fairlane.gateway.http.Exchange;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Keeps a slow client from holding engine resources: after each write, a response whose queued output
 * exceeds the per-request bound, or whose client is still unwritable a full timeout after it first was,
 * has its work aborted and its connection closed (which frees its KV blocks at once through the
 * exchange's client-gone path). Confined to the exchange's event loop.
 */
final class SlowClientGuard {

    private final Exchange exchange;
    private final long maxBufferedBytes;
    private final long timeoutNanos;
    private ScheduledFuture<?> timer;

    SlowClientGuard(Exchange exchange, long maxBufferedBytes, long timeoutNanos) {
        this.exchange = exchange;
        this.maxBufferedBytes = maxBufferedBytes;
        this.timeoutNanos = timeoutNanos;
    }

    /** Call after writing output. */
    void afterWrite() {
        if (exchange.isWritable()) {
            return;
        }
        if (exchange.pendingOutputBytes() > maxBufferedBytes) {
            abort("more than " + maxBufferedBytes + " bytes of output waiting for the client");
            return;
        }
        if (timer == null) {
            timer = exchange.eventLoop().schedule(this::check, timeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void check() {
        timer = null;
        if (!exchange.isDone() && !exchange.isWritable()) {
            abort("client has not read its output for " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
        }
    }

    void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void abort(String why) {
        cancel();
        exchange.abortConnection(why);
    }
}
