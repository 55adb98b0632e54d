package io.fairlane.scheduler;

import java.time.Duration;

/**
 * An exponentially decaying estimate of how fast a tenant's queue drains, in requests and in tokens.
 * Each dispatch adds its amounts to sums that decay with time constant {@code tau}. For a steady rate r
 * observed for a time T a sum approaches {@code r·tau·(1 − e^(−T/tau))}, so dividing by that factor gives
 * an unbiased estimate from the first event on, and one dominated by the last few {@code tau} later.
 * Both sums share one decay factor (one {@code exp} per dispatch). Guarded by the owning scheduler's lock.
 */
final class DrainRate {

    private static final Duration MIN_RETRY = Duration.ofMillis(1);
    private static final Duration MAX_RETRY = Duration.ofSeconds(60);
    private static final Duration UNKNOWN_DRAIN_RETRY = Duration.ofSeconds(1);

    private final double tauNanos;
    private double requests;
    private double tokens;
    private long startNanos;
    private long lastNanos;
    private boolean started;

    DrainRate(long tauNanos) {
        if (tauNanos <= 0) {
            throw new IllegalArgumentException("tauNanos must be > 0, was " + tauNanos);
        }
        this.tauNanos = tauNanos;
    }

    private void decay(long nowNanos) {
        long elapsed = nowNanos - lastNanos;
        if (elapsed > 0) {
            double factor = Math.exp(-elapsed / tauNanos);
            requests *= factor;
            tokens *= factor;
            lastNanos = nowNanos;
        }
    }

    void add(double requestCount, double tokenCount, long nowNanos) {
        if (!started) {
            started = true;
            startNanos = nowNanos;
            lastNanos = nowNanos;
        }
        decay(nowNanos);
        requests += requestCount;
        tokens += tokenCount;
    }

    /** Recent requests per nanosecond; 0 when nothing was observed or no time has passed yet. */
    double requestsPerNano(long nowNanos) {
        return rate(nowNanos, true);
    }

    /** Recent tokens per nanosecond; 0 when nothing was observed or no time has passed yet. */
    double tokensPerNano(long nowNanos) {
        return rate(nowNanos, false);
    }

    private double rate(long nowNanos, boolean ofRequests) {
        if (!started) {
            return 0;
        }
        decay(nowNanos);
        double observed = nowNanos - startNanos;
        if (observed <= 0) {
            return 0;
        }
        return (ofRequests ? requests : tokens) / (tauNanos * -Math.expm1(-observed / tauNanos));
    }

    /**
     * How long {@code excess} (requests or tokens) takes to drain at {@code perNano}, clamped to [1 ms, 60 s]; one
     * second when nothing has drained yet: the {@code retry-after} of a full queue.
     */
    static Duration timeToDrain(double perNano, double excess) {
        if (!(perNano > 0)) {
            return UNKNOWN_DRAIN_RETRY;
        }
        double nanos = Math.ceil(excess / perNano);
        if (nanos >= MAX_RETRY.toNanos()) {
            return MAX_RETRY;
        }
        Duration d = Duration.ofNanos((long) nanos);
        return d.compareTo(MIN_RETRY) < 0 ? MIN_RETRY : d;
    }
}
