package io.fairlane.scheduler;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Shared setup for scheduler tests: work items are plain strings, time is a {@link ManualTicker}. */
final class Schedulers {

    private Schedulers() {
    }

    static TenantScheduler<String> create(Policy policy, ManualTicker ticker, TenantSpec... tenants) {
        return TenantSchedulers.create(policy, List.of(tenants), CostWeights.DEFAULT, PrefixMatcher.none(), ticker,
                SchedulerStats.disabled());
    }

    static CostEstimate cost(int prompt, int maxOutput) {
        return new CostEstimate(prompt, 0, maxOutput);
    }

    static Ticket<String> queue(TenantScheduler<String> s, String tenant, String work, CostEstimate e) {
        Admission<String> a = s.offer(tenant, work, e, ServiceTier.DEFAULT);
        if (!(a instanceof Admission.Queued<String> q)) {
            throw new AssertionError("expected " + work + " to be queued, got " + a);
        }
        return q.ticket();
    }

    static Ticket<String> queue(TenantScheduler<String> s, String tenant, String work, CostEstimate e,
            ServiceTier tier) {
        Admission<String> a = s.offer(tenant, work, e, tier);
        if (!(a instanceof Admission.Queued<String> q)) {
            throw new AssertionError("expected " + work + " to be queued, got " + a);
        }
        return q.ticket();
    }

    /** Dispatches everything with unlimited capacity and returns the work in dispatch order. */
    static List<String> drain(TenantScheduler<String> s) {
        List<String> order = new ArrayList<>();
        for (Optional<Ticket<String>> t = s.next(Capacity.unlimited()); t.isPresent();
                t = s.next(Capacity.unlimited())) {
            order.add(t.get().work());
        }
        return order;
    }

    /** Tenant ids of the next {@code n} dispatches, completing each at once at its estimated cost. */
    static List<String> serveAndComplete(TenantScheduler<String> s, int n) {
        List<String> tenants = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Ticket<String> t = s.next(Capacity.unlimited()).orElseThrow();
            tenants.add(t.tenant());
            CostEstimate e = t.estimate();
            s.complete(t, new ActualCost(e.promptTokens(), e.cachedTokens(), e.maxOutputTokens()));
        }
        return tenants;
    }
}
