package io.fairlane.gateway.lane.routing;

/**
 * How many retries a model may send: at most {@code ratio} of the requests of the last ten seconds, plus
 * {@code minPerSecond} a second, so that when every target fails, retries add a bounded fraction of load instead
 * of multiplying it (the shape of Linkerd's and gRPC's retry budgets). Thread-safe (synchronised, one counter pair
 * per second).
 */
public final class RetryBudget {

    private static final int SECONDS = 10;
    private static final long SECOND = 1_000_000_000L;

    private final double ratio;
    private final int minPerSecond;
    private final long[] requests = new long[SECONDS];
    private final long[] retries = new long[SECONDS];
    private final long[] epoch = new long[SECONDS];

    public RetryBudget(double ratio, int minPerSecond) {
        this.ratio = ratio;
        this.minPerSecond = minPerSecond;
    }

    public synchronized void request(long now) {
        requests[slot(now)]++;
    }

    /** Takes one retry from the budget; false when it is spent. */
    public synchronized boolean tryRetry(long now) {
        if (retries(now) + 1 > allowance(now)) {
            return false;
        }
        retries[slot(now)]++;
        return true;
    }

    /** Retries allowed over the window now. */
    synchronized double allowance(long now) {
        return ratio * sum(requests, now) + (double) minPerSecond * SECONDS;
    }

    synchronized long requests(long now) {
        return sum(requests, now);
    }

    synchronized long retries(long now) {
        return sum(retries, now);
    }

    private int slot(long now) {
        long e = Math.floorDiv(now, SECOND);
        int i = (int) Math.floorMod(e, SECONDS);
        if (epoch[i] != e) {
            epoch[i] = e;
            requests[i] = 0;
            retries[i] = 0;
        }
        return i;
    }

    private long sum(long[] counts, long now) {
        long e = Math.floorDiv(now, SECOND);
        long s = 0;
        for (int i = 0; i < SECONDS; i++) {
            if (e >= epoch[i] && e - epoch[i] < SECONDS) {
                s += counts[i];
            }
        }
        return s;
    }
}
