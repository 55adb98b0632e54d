package io.fairlane.engine;

import io.fairlane.scheduler.Policy;
import java.time.Duration;
import java.util.Objects;

/**
 * Whether the engine preempts running sequences so that a tenant under its fair share can start at once.
 *
 * <p>A waiting-queue policy (DRR, VTC, DLPM) only orders admissions: once one tenant's work fills every running
 * slot, a request of a tenant running less than its share would wait for one of those sequences to finish, however
 * long it is. With {@link FairShare} the engine instead preempts the most recently admitted sequence of the tenant
 * furthest above its share, frees its KV blocks (keeping the full ones reusable in the prefix cache) and resumes it
 * later by recompute. Preemption because the KV pool ran out while a running sequence grows is separate and always
 * on: without it such a batch could not make progress.
 */
public sealed interface Preemption {

    /** The default churn bound: a sequence resumed after a fairness preemption runs this long before the next. */
    Duration DEFAULT_WINDOW = Duration.ofSeconds(1);

    /** No preemption for fairness: an arrival waits for a running sequence to finish (the default for FCFS). */
    record None() implements Preemption {
    }

    /**
     * Preempt tenants above their weighted share of the running batch for a tenant below its own.
     *
     * @param window after a sequence resumes from a fairness preemption, how long it runs before it may be preempted
     *               for fairness again; so no sequence is preempted twice within the window
     */
    record FairShare(Duration window) implements Preemption {
        public FairShare {
            Objects.requireNonNull(window, "window");
            if (window.isNegative()) {
                throw new IllegalArgumentException("the preemption window must be >= 0, was " + window);
            }
        }
    }

    static Preemption none() {
        return new None();
    }

    static Preemption fairShare() {
        return new FairShare(DEFAULT_WINDOW);
    }

    /** {@code fair} for the fair policies (DRR, VTC, DLPM); {@code none} for FCFS, which promises no share. */
    static Preemption defaultFor(Policy policy) {
        Objects.requireNonNull(policy, "policy");
        return policy instanceof Policy.Fcfs ? none() : fairShare();
    }
}
