package io.fairlane.scheduler;

/**
 * An exponentially decaying rate estimate: each event adds its amount to a sum that decays with time
 * constant {@code tau}. For a steady rate r observed for a time T the sum approaches
 * {@code r·tau·(1 − e^(−T/tau))}, so dividing by that factor gives an unbiased estimate from the first
 * event on, and one dominated by the last few {@code tau} later. Used to estimate how fast a tenant's
 * queue drains when telling a rejected client when to retry. Guarded by the owning scheduler's lock.
 */
final class DecayingRate {

    private final double tauNanos;
    private double sum;
    private long startNanos;
    private long lastNanos;
    private boolean started;

    DecayingRate(long tauNanos) {
        if (tauNanos <= 0) {
            throw new IllegalArgumentException("tauNanos must be > 0, was " + tauNanos);
        }
        this.tauNanos = tauNanos;
    }

    private void decay(long nowNanos) {
        long elapsed = nowNanos - lastNanos;
        if (elapsed > 0) {
            sum *= Math.exp(-elapsed / tauNanos);
            lastNanos = nowNanos;
        }
    }

    void add(double amount, long nowNanos) {
        if (!started) {
            started = true;
            startNanos = nowNanos;
            lastNanos = nowNanos;
        }
        decay(nowNanos);
        sum += amount;
    }

    /** Recent rate in units per nanosecond; 0 when nothing was observed or no time has passed yet. */
    double perNano(long nowNanos) {
        if (!started) {
            return 0;
        }
        decay(nowNanos);
        double observed = nowNanos - startNanos;
        if (observed <= 0) {
            return 0;
        }
        return sum / (tauNanos * -Math.expm1(-observed / tauNanos));
    }
}
