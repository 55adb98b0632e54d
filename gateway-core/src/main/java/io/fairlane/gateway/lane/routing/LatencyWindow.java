package io.fairlane.gateway.lane.routing;

import java.util.Arrays;

/**
 * The last {@value #CAPACITY} latency samples of a target with their times, for the p99 over a recent window that
 * saturation thresholds compare with. The quantile is computed at most every {@value #REFRESH_MILLIS} ms and cached,
 * so a routing decision reads a number instead of sorting samples. Thread-safe (synchronised; the cached value is
 * volatile).
 */
final class LatencyWindow {

    static final int CAPACITY = 256;
    private static final long REFRESH_MILLIS = 100;

    private final long[] at = new long[CAPACITY];
    private final long[] nanos = new long[CAPACITY];
    private int next;
    private int size;
    private volatile long cachedP99 = -1;
    private volatile long cachedAt;
    private volatile boolean computed;
    private volatile int cachedSamples;

    synchronized void record(long now, long latencyNanos) {
        at[next] = now;
        nanos[next] = latencyNanos;
        next = (next + 1) % CAPACITY;
        size = Math.min(size + 1, CAPACITY);
    }

    /** The p99 of the samples within {@code windowNanos} of {@code now}, or -1 with fewer than {@code minSamples}. */
    long p99(long now, long windowNanos, int minSamples) {
        long age = now - cachedAt;
        if (!computed || age > REFRESH_MILLIS * 1_000_000L || age < 0) {
            refresh(now, windowNanos);
        }
        return cachedSamples >= minSamples ? cachedP99 : -1;
    }

    /** Samples in the window at the last refresh. */
    int samples() {
        return cachedSamples;
    }

    private synchronized void refresh(long now, long windowNanos) {
        long[] in = new long[size];
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (now - at[i] <= windowNanos) {
                in[n++] = nanos[i];
            }
        }
        Arrays.sort(in, 0, n);
        cachedP99 = n == 0 ? -1 : in[Math.min(n - 1, (int) Math.ceil(n * 0.99) - 1)];
        cachedSamples = n;
        cachedAt = now;
        computed = true;
    }
}
