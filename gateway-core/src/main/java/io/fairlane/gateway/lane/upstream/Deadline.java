package io.fairlane.gateway.lane.upstream;

import io.netty.channel.EventLoop;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A deadline that moves: each {@link #extend} puts it {@code nanos} from now. One timer at most: when the timer
 * fires early (the deadline moved on as chunks arrived) it re-arms for the time left, so a stream of a thousand
 * chunks does not schedule a thousand timers. Confined to its event loop.
 */
final class Deadline {

    private final EventLoop loop;
    private final Runnable expired;
    private ScheduledFuture<?> timer;
    private long deadlineNanos;

    /** @param expired runs on {@code loop} once the deadline passes without being extended or cancelled */
    Deadline(EventLoop loop, Runnable expired) {
        this.loop = loop;
        this.expired = expired;
    }

    void extend(long nanos) {
        deadlineNanos = System.nanoTime() + nanos;
        if (timer == null) {
            timer = loop.schedule(this::check, nanos, TimeUnit.NANOSECONDS);
        }
    }

    void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void check() {
        timer = null;
        long left = deadlineNanos - System.nanoTime();
        if (left > 0) {
            timer = loop.schedule(this::check, left, TimeUnit.NANOSECONDS);
            return;
        }
        expired.run();
    }
}
