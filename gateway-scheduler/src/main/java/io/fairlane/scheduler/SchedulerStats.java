package io.fairlane.scheduler;

import java.util.function.Supplier;

/**
 * Receives scheduler events as they happen, so a caller can bind them to a metrics system without this
 * module depending on one (the way Caffeine's {@code StatsCounter} works). Calls arrive under the
 * scheduler's lock (all but {@link #attach}): implementations must be fast and must not call back into the
 * scheduler.
 */
public interface SchedulerStats {

    /**
     * A scheduler reporting to these stats was created; {@code snapshots} reads its state (queue depths,
     * balances) for gauges. Called once per scheduler, at the end of its construction and not under its
     * lock, so that whoever owns the scheduler (the engine, for its waiting queue) need not expose it.
     * Each {@code get} takes the scheduler's lock for O(tenants): poll it, do not call it per event.
     */
    default void attach(Supplier<SchedulerSnapshot> snapshots) {
    }

    /** Work was queued for {@code tenant}. */
    default void recordQueued(String tenant, ServiceTier tier) {
    }

    /** Work left the queue to run after waiting {@code waitNanos}. */
    default void recordDispatched(String tenant, ServiceTier tier, long waitNanos) {
    }

    /** An offer was rejected. */
    default void recordRejected(String tenant, Admission.Reason reason) {
    }

    /** Queued or running work was cancelled. */
    default void recordCancelled(String tenant) {
    }

    /** Work completed with its actual cost, in weighted service units. */
    default void recordCompleted(String tenant, double service) {
    }

    static SchedulerStats disabled() {
        return new SchedulerStats() {
        };
    }
}
