package io.fairlane.scheduler;

import java.util.List;

/**
 * Builds a {@link TenantScheduler} for a {@link Policy}. Every policy runs in the same implementation,
 * which owns queues, tiers, limits and the lock; the policy picks the order. See {@code docs/scheduler.md}.
 */
public final class TenantSchedulers {

    private TenantSchedulers() {
    }

    /**
     * @param policy   the scheduling policy
     * @param tenants  the tenants known at start
     * @param weights  how tokens convert to service
     * @param matcher  cached-prefix lengths, used by {@link Policy.DeficitLongestPrefixMatch}
     * @param ticker   time source
     * @param stats    event sink for metrics
     * @throws IllegalArgumentException if two tenants share an id
     */
    public static <W> TenantScheduler<W> create(
            Policy policy, List<TenantSpec> tenants, CostWeights weights, PrefixMatcher<W> matcher,
            Ticker ticker, SchedulerStats stats) {
        return new FairScheduler<>(policy, tenants, weights, matcher, ticker, stats);
    }

    /**
     * A scheduler with the default cost weights, no prefix information, the system clock and no stats:
     * enough for lanes without a prefix cache and for tests.
     */
    public static <W> TenantScheduler<W> create(Policy policy, List<TenantSpec> tenants) {
        return create(policy, tenants, CostWeights.DEFAULT, PrefixMatcher.none(), Ticker.system(),
                SchedulerStats.disabled());
    }
}
