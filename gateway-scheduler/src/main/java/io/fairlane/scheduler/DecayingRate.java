package io.fairlane.scheduler;

/**
 * An exponentially decaying rate estimate: each event adds its amount, and the running sum decays with
 * time constant {@code tau}, so {@code sum / tau} approaches the recent rate. Used to estimate how fast a
 * tenant's queue drains when telling a rejected client when to retry. Guarded by the owning scheduler's
 * lock.
 */
final class DecayingRate {

    private final double tauNanos;
    private double sum;
    private long lastNanos;
    private boolean started;

    DecayingRate(long tauNanos) {
        this.tauNanos = tauNanos;
    }

    private void decay(long nowNanos) {
        if (!started) {
            started = true;
            lastNanos = nowNanos;
            return;
        }
        long elapsed = nowNanos - lastNanos;
        if (elapsed > 0) {
            sum *= Math.exp(-elapsed / tauNanos);
            lastNanos = nowNanos;
        }
    }

    void add(double amount, long nowNanos) {
        decay(nowNanos);
        sum += amount;
    }

    /** Recent rate in units per nanosecond; 0 when nothing was observed. */
    double perNano(long nowNanos) {
        decay(nowNanos);
        return sum / tauNanos;
    }
}
