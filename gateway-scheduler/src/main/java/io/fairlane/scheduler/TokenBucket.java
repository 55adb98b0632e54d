package io.fairlane.scheduler;

import java.time.Duration;

/**
 * A per-minute budget as a continuously refilling bucket: it holds at most {@code perMinute} units and
 * regains {@code perMinute} units over 60 seconds. Reservations take units up front; refunds give back
 * what was not used, never above the bucket's size; a request that used more than it reserved (an upstream
 * counting more prompt tokens than estimated) is charged the excess, which may leave the bucket in debt until it
 * refills. Not thread-safe: guarded by the owner's lock (the scheduler's; the gateway's shared-limit fallback keeps
 * its own buckets under a monitor).
 */
public final class TokenBucket {

    private static final double NANOS_PER_MINUTE = 60e9;

    private final long perMinute;
    private final double perNano;
    private double level;
    private long lastNanos;

    public TokenBucket(long perMinute, long nowNanos) {
        if (perMinute <= 0) {
            throw new IllegalArgumentException("perMinute must be > 0, was " + perMinute);
        }
        this.perMinute = perMinute;
        this.perNano = perMinute / NANOS_PER_MINUTE;
        this.level = perMinute;
        this.lastNanos = nowNanos;
    }

    public long perMinute() {
        return perMinute;
    }

    private void refill(long nowNanos) {
        long elapsed = nowNanos - lastNanos;
        if (elapsed > 0) {
            level = Math.min(perMinute, level + elapsed * perNano);
            lastNanos = nowNanos;
        }
    }

    /** Units available now, rounded down (0 while in debt). */
    public long remaining(long nowNanos) {
        refill(nowNanos);
        return Math.max(0, (long) Math.floor(level));
    }

    public boolean tryTake(long units, long nowNanos) {
        refill(nowNanos);
        if (level + 1e-9 >= units) {
            level -= units;
            return true;
        }
        return false;
    }

    public void refund(long units, long nowNanos) {
        if (units <= 0) {
            return;
        }
        refill(nowNanos);
        level = Math.min(perMinute, level + units);
    }

    /** Takes {@code units} beyond a reservation, even below zero: what was used is owed. */
    public void charge(long units, long nowNanos) {
        if (units <= 0) {
            return;
        }
        refill(nowNanos);
        level -= units;
    }

    /** Time until {@code units} are available (zero when they are now). */
    public Duration timeUntil(long units, long nowNanos) {
        refill(nowNanos);
        double missing = units - level;
        return missing <= 0 ? Duration.ZERO : Duration.ofNanos((long) Math.ceil(missing / perNano));
    }

    /** Time until the bucket is full again. */
    Duration timeUntilFull(long nowNanos) {
        return timeUntil(perMinute, nowNanos);
    }

    /** Carries the current fill ratio over to a bucket of a new size (configuration reload). */
    TokenBucket resized(long newPerMinute, long nowNanos) {
        refill(nowNanos);
        TokenBucket b = new TokenBucket(newPerMinute, nowNanos);
        b.level = newPerMinute * (level / perMinute);
        return b;
    }
}
