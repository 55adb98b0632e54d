package io.fairlane.gateway.lane.routing;

/**
 * Successes and failures over a sliding window, in ten buckets (so the window slides in steps of a tenth).
 * Not thread-safe: its owner synchronises.
 */
final class WindowCounter {

    private static final int BUCKETS = 10;

    private final long bucketNanos;
    private final long[] good = new long[BUCKETS];
    private final long[] bad = new long[BUCKETS];
    private final long[] epoch = new long[BUCKETS];

    WindowCounter(long windowNanos) {
        this.bucketNanos = Math.max(1, windowNanos / BUCKETS);
    }

    void add(long now, boolean failure) {
        int i = slot(now);
        if (failure) {
            bad[i]++;
        } else {
            good[i]++;
        }
    }

    long total(long now) {
        return sum(good, now) + sum(bad, now);
    }

    long failures(long now) {
        return sum(bad, now);
    }

    /** Failures over total, 0 when empty. */
    double ratio(long now) {
        long total = total(now);
        return total == 0 ? 0 : (double) failures(now) / total;
    }

    void clear() {
        java.util.Arrays.fill(good, 0);
        java.util.Arrays.fill(bad, 0);
    }

    private int slot(long now) {
        long e = Math.floorDiv(now, bucketNanos);
        int i = (int) Math.floorMod(e, BUCKETS);
        if (epoch[i] != e) {
            epoch[i] = e;
            good[i] = 0;
            bad[i] = 0;
        }
        return i;
    }

    private long sum(long[] counts, long now) {
        long e = Math.floorDiv(now, bucketNanos);
        long s = 0;
        for (int i = 0; i < BUCKETS; i++) {
            if (e - epoch[i] < BUCKETS && e >= epoch[i]) {
                s += counts[i];
            }
        }
        return s;
    }
}
