package io.fairlane.scheduler;

import java.util.List;
import java.util.Objects;

/** Builds a {@link TenantScheduler} for a {@link Policy}. */
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
     */
    public static <W> TenantScheduler<W> create(
            Policy policy, List<TenantSpec> tenants, CostWeights weights, PrefixMatcher<W> matcher,
            Ticker ticker, SchedulerStats stats) {
        Objects.requireNonNull(policy, "policy");
        throw new UnsupportedOperationException("scheduler implementations land with issue 3");
    }
}
