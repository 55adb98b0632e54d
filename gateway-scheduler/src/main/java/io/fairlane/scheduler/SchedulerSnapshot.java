package io.fairlane.scheduler;

import java.util.Map;

/**
 * A point-in-time view of a scheduler, for gauges and the admin API.
 *
 * @param policy  the policy in force
 * @param tenants per-tenant state, keyed by tenant id
 */
public record SchedulerSnapshot(Policy policy, Map<String, TenantState> tenants) {

    public SchedulerSnapshot {
        tenants = Map.copyOf(tenants);
    }

    /**
     * @param queuedRequests  requests waiting
     * @param queuedTokens    estimated tokens waiting
     * @param running         tickets handed out and not yet completed or cancelled
     * @param service         weighted service received so far (cost units)
     * @param balance         the policy's own number for the tenant's priority/default work: DRR/DLPM deficit,
     *                        VTC counter, 0 for FCFS
     * @param rejections      offers rejected so far, all reasons
     * @param oldestWaitNanos how long the tenant's oldest queued request has waited; 0 when none waits
     */
    public record TenantState(int queuedRequests, long queuedTokens, int running, double service, double balance,
                              long rejections, long oldestWaitNanos) {

        /** Without the rejection count and wait (both 0). */
        public TenantState(int queuedRequests, long queuedTokens, int running, double service, double balance) {
            this(queuedRequests, queuedTokens, running, service, balance, 0, 0);
        }
    }
}
