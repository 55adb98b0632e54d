package io.fairlane.gateway.lane.routing;

import io.fairlane.gateway.config.RoutingConfig.Breaker;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The live state of one target: requests in flight (reserved by compare-and-set, so a limit is never exceeded
 * however many event loops place work at once), its breaker, its throttling after a {@code retry-after}, and its
 * recent time to first byte. Holds no configuration, so it survives a reload that keeps the target: the new
 * manifest's router takes it over with its in-flight count and breaker intact.
 *
 * <p>Breaker: {@code CLOSED} (serving) → {@code OPEN} (ejected until a time, which doubles at each ejection up to
 * the maximum) → {@code HALF_OPEN} once that time passed (a few probe requests at a time) → {@code CLOSED} on a
 * probe's success, {@code OPEN} again, for longer, on its failure. A target whose ejection would leave its model
 * with nothing usable is not ejected: it is marked failing and keeps serving ({@link #failingNotEjected}).
 *
 * <p>Thread-safe: counters are atomic; breaker transitions are synchronised and published through volatile fields,
 * which routing decisions read without locking.
 */
public final class TargetState {

    /** Where the breaker stands. */
    public enum Phase { CLOSED, OPEN, HALF_OPEN }

    /** What a recorded outcome did to the breaker, for logs and meters. */
    public sealed interface Verdict {
        /** Nothing changed. */
        record Unchanged() implements Verdict {
        }

        /** Ejected for {@code nanos}: the {@code count}-th ejection, because of {@code reason}. */
        record Ejected(long nanos, int count, String reason) implements Verdict {
        }

        /** It would have been ejected ({@code reason}), but it is the last usable target. */
        record KeptAsLast(String reason) implements Verdict {
        }

        /** A probe succeeded: back in service. */
        record Restored() implements Verdict {
        }

        Verdict UNCHANGED = new Unchanged();
    }

    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger probes = new AtomicInteger();
    private final LatencyWindow ttft = new LatencyWindow();
    private volatile Phase phase = Phase.CLOSED;
    private volatile long ejectedUntil;
    private volatile long throttledUntil;
    private volatile boolean everThrottled;
    private volatile boolean failingNotEjected;
    private volatile int ejections;
    private int consecutiveFailures;
    private int consecutiveTimeouts;
    private long closedSince;
    private WindowCounter window;
    private long windowNanos;

    /** Requests in flight now. */
    public int inFlight() {
        return inFlight.get();
    }

    /** The breaker's phase at {@code now}: an ejection whose time is up reads as half-open. */
    public Phase phase(long now) {
        Phase p = phase;
        if (p == Phase.OPEN && now - ejectedUntil >= 0) {
            return halfOpen(now);
        }
        return p;
    }

    /** Whether it is closed (serving normally) and not throttled at {@code now}: the common case, two reads. */
    boolean plainlyServing(long now) {
        return phase == Phase.CLOSED && (!everThrottled || throttledUntil - now <= 0);
    }

    private synchronized Phase halfOpen(long now) {
        if (phase == Phase.OPEN && now - ejectedUntil >= 0) {
            phase = Phase.HALF_OPEN;
        }
        return phase;
    }

    /** Whether it refuses work because of a {@code retry-after} at {@code now}. */
    public boolean throttled(long now) {
        return everThrottled && throttledUntil - now > 0;
    }

    /** Nanos until its throttling ends (0 when not throttled). */
    public long throttledFor(long now) {
        return everThrottled ? Math.max(0, throttledUntil - now) : 0;
    }

    /** Nanos until its ejection ends (0 when not ejected). */
    public long ejectedFor(long now) {
        return phase == Phase.OPEN ? Math.max(0, ejectedUntil - now) : 0;
    }

    public int ejections() {
        return ejections;
    }

    public boolean failingNotEjected() {
        return failingNotEjected;
    }

    public synchronized int consecutiveFailures() {
        return consecutiveFailures;
    }

    /** Failure ratio and attempts over the breaker window, at {@code now}. */
    public synchronized double failureRatio(long now) {
        return window == null ? 0 : window.ratio(now);
    }

    public synchronized long windowAttempts(long now) {
        return window == null ? 0 : window.total(now);
    }

    /** The p99 time to first byte over {@code windowNanos}, or -1 with fewer than {@code minSamples}. */
    public long ttftP99(long now, long windowNanos, int minSamples) {
        return ttft.p99(now, windowNanos, minSamples);
    }

    /**
     * Reserves a slot when fewer than {@code max} are taken and, for a {@code probe} (a half-open target), when
     * fewer than {@code maxProbes} probes run.
     */
    boolean tryAcquire(int max, boolean probe, int maxProbes) {
        if (probe) {
            int p;
            do {
                p = probes.get();
                if (p >= maxProbes) {
                    return false;
                }
            } while (!probes.compareAndSet(p, p + 1));
        }
        int n;
        do {
            n = inFlight.get();
            if (n >= max) {
                if (probe) {
                    probes.decrementAndGet();
                }
                return false;
            }
        } while (!inFlight.compareAndSet(n, n + 1));
        return true;
    }

    /** Whether a probe slot is free (a question; {@link #tryAcquire} takes it). */
    boolean probeFree(int maxProbes) {
        return probes.get() < maxProbes;
    }

    void release(boolean probe) {
        inFlight.decrementAndGet();
        if (probe) {
            probes.decrementAndGet();
        }
    }

    /** Refuses work until {@code until} (a {@code retry-after}); a later deadline wins. */
    synchronized void throttle(long until) {
        if (!everThrottled || until - throttledUntil > 0) {
            throttledUntil = until;
            everThrottled = true;
        }
    }

    void recordTtft(long now, long nanos) {
        ttft.record(now, nanos);
    }

    /**
     * Records an attempt's outcome in the breaker.
     *
     * @param othersUsable whether the model has another target that is not ejected (else this one is kept)
     */
    synchronized Verdict record(Outcome outcome, long now, Breaker config, boolean othersUsable) {
        if (outcome.clientCaused() || outcome == Outcome.HTTP_429) {
            return Verdict.UNCHANGED;
        }
        if (window == null || windowNanos != config.window().toNanos()) {
            windowNanos = config.window().toNanos();
            window = new WindowCounter(windowNanos);
        }
        Phase p = phase(now);
        if (p == Phase.OPEN) {
            return Verdict.UNCHANGED; // a straggler sent before the ejection
        }
        window.add(now, outcome.failure());
        if (!outcome.failure()) {
            consecutiveFailures = 0;
            consecutiveTimeouts = 0;
            failingNotEjected = false;
            if (p == Phase.HALF_OPEN) {
                phase = Phase.CLOSED;
                closedSince = now;
                return new Verdict.Restored();
            }
            if (ejections > 0 && now - closedSince > config.maxEjection().toNanos()) {
                ejections = 0; // healthy for a full maximum ejection: the next ejection starts short again
            }
            return Verdict.UNCHANGED;
        }
        consecutiveFailures++;
        consecutiveTimeouts = outcome == Outcome.TIMEOUT ? consecutiveTimeouts + 1 : 0;
        String reason = null;
        if (p == Phase.HALF_OPEN) {
            reason = "probe failed (" + outcome.wire() + ")";
        } else if (consecutiveTimeouts >= config.consecutiveTimeouts()) {
            reason = consecutiveTimeouts + " timeout" + (consecutiveTimeouts == 1 ? "" : "s") + " in a row";
        } else if (consecutiveFailures >= config.consecutiveFailures()) {
            reason = consecutiveFailures + " failures in a row";
        } else if (window.total(now) >= config.minRequests() && window.ratio(now) >= config.failureRatio()) {
            reason = Math.round(window.ratio(now) * 100) + "% of " + window.total(now) + " attempts failed";
        }
        if (reason == null) {
            return Verdict.UNCHANGED;
        }
        if (!othersUsable) {
            if (phase != Phase.CLOSED) {
                phase = Phase.CLOSED;
                closedSince = now;
            }
            if (failingNotEjected) {
                return Verdict.UNCHANGED;
            }
            failingNotEjected = true;
            return new Verdict.KeptAsLast(reason);
        }
        int shift = Math.min(ejections, 30);
        long base = config.ejection().toNanos();
        long nanos = Math.min(config.maxEjection().toNanos(), base > (Long.MAX_VALUE >> shift) ? Long.MAX_VALUE
                : base << shift);
        ejections++;
        phase = Phase.OPEN;
        ejectedUntil = now + nanos;
        consecutiveFailures = 0;
        consecutiveTimeouts = 0;
        failingNotEjected = false;
        window.clear();
        return new Verdict.Ejected(nanos, ejections, reason);
    }
}
