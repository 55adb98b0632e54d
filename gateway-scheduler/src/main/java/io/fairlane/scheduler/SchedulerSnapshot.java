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
     * @param queuedRequests requests waiting
     * @param queuedTokens   estimated tokens waiting
     * @param running        tickets handed out and not yet completed or cancelled
     * @param service        weighted service received so far (cost units)
     * @param balance        the policy's own number: DRR/DLPM deficit, VTC counter, 0 for FCFS
     */
    public record TenantState(int queuedRequests, long queuedTokens, int running, double service, double balance) {
    }
}
