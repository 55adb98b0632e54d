package io.fairlane.gateway.metrics;

import io.fairlane.engine.EngineSnapshot;
import io.fairlane.scheduler.SchedulerSnapshot;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToDoubleFunction;

/**
 * What a lane's gauges read: the latest scheduler and engine snapshots, written by the lane's current
 * {@link LaneMetrics} (its {@link #owner}). Held by {@link GatewayMetrics} per lane id for as long as the
 * gateway runs, so gauges registered under the lane's tags keep reading live values across a reload that
 * rebuilds the lane's backend. Thread-safe: volatile fields and concurrent sets.
 */
final class LaneGauges {

    volatile LaneMetrics owner;
    volatile SchedulerSnapshot scheduler;
    volatile EngineSnapshot engine;
    final Set<String> schedulerTenants = ConcurrentHashMap.newKeySet();
    final Set<String> engineTenants = ConcurrentHashMap.newKeySet();
    final AtomicBoolean engineBound = new AtomicBoolean();

    double schedulerValue(String tenant, boolean depth) {
        SchedulerSnapshot s = scheduler;
        SchedulerSnapshot.TenantState t = s == null ? null : s.tenants().get(tenant);
        if (t == null) {
            return 0;
        }
        return depth ? t.queuedRequests() : t.balance();
    }

    double tenantStat(String tenant, ToDoubleFunction<EngineSnapshot.TenantCacheStats> f) {
        EngineSnapshot s = engine;
        EngineSnapshot.TenantCacheStats t = s == null ? null : s.tenants().get(tenant);
        return t == null ? 0 : f.applyAsDouble(t);
    }
}
