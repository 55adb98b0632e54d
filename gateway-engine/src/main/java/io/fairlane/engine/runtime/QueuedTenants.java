package io.fairlane.engine.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which tenants have generations in the waiting queue, as the engine saw them offered and handed out: the
 * candidates the batch scheduler asks the queue for, out of the policy's order, when a tenant under its fair share
 * could start by preemption ({@link io.fairlane.scheduler.TenantScheduler#nextOf}). A hint, not a ledger: a tenant
 * counted here whose work has gone just gets an empty answer, so a count that runs ahead of the queue for a moment
 * (a request handed out before its offer returned) does no harm.
 *
 * <p>Thread-safe: submitting threads count offers, the loop counts hand-outs and withdrawals.
 */
final class QueuedTenants {

    private final ConcurrentHashMap<String, Integer> counts = new ConcurrentHashMap<>();

    /** A generation of {@code tenant} was queued. */
    void queued(String tenant) {
        counts.merge(tenant, 1, QueuedTenants::add);
    }

    /** A queued generation of {@code tenant} was handed out or withdrawn. */
    void left(String tenant) {
        counts.merge(tenant, -1, QueuedTenants::add);
    }

    private static Integer add(Integer a, Integer b) {
        int sum = a + b;
        return sum == 0 ? null : sum;
    }

    /** Tenants with work queued now. */
    List<String> tenants() {
        List<String> out = new ArrayList<>();
        counts.forEach((tenant, n) -> {
            if (n > 0) {
                out.add(tenant);
            }
        });
        return out;
    }

    @Override
    public String toString() {
        return "QueuedTenants" + counts;
    }
}
