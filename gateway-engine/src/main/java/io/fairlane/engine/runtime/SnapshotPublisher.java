package io.fairlane.engine.runtime;

import io.fairlane.engine.EngineSnapshot;
import io.fairlane.engine.kv.KvCacheManager;
import io.fairlane.engine.kv.TenantKvStats;
import io.fairlane.scheduler.TenantScheduler;
import io.fairlane.scheduler.Ticker;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The engine's gauges as one immutable {@link EngineSnapshot}: running and waiting sequences, KV blocks used
 * and cached, preemptions, tokens, the last batch size, device memory and per-tenant cache and preemption figures
 * (by reason, recomputed tokens, time preempted). The
 * per-tenant KV figures walk the pool, so between idle turns they are refreshed at most every 20 ms.
 *
 * <p>Threading: {@link #publish} runs on the engine loop thread after each turn, reading loop-confined state;
 * any thread reads {@link #current}, a volatile reference to the last snapshot.
 */
final class SnapshotPublisher {

    private static final long TENANT_STATS_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final TenantKvStats NO_KV = new TenantKvStats(0, 0, 0);
    private static final Preemptions.TenantPreemptions NO_PREEMPTIONS = new Preemptions.TenantPreemptions(0, 0, 0, 0, 0);

    private final KvCacheManager kv;
    private final BatchScheduler batch;
    private final TenantScheduler<Work> waiting;
    private final StepExecutor executor;
    private final Ticker ticker;
    private final EngineCounters counters;
    private volatile EngineSnapshot current;
    private long lastTenantStatsNanos;
    private Map<String, TenantKvStats> tenantKv = Map.of();

    SnapshotPublisher(KvCacheManager kv, BatchScheduler batch, TenantScheduler<Work> waiting, StepExecutor executor,
                      Ticker ticker, EngineCounters counters) {
        this.kv = Objects.requireNonNull(kv, "kv");
        this.batch = Objects.requireNonNull(batch, "batch");
        this.waiting = Objects.requireNonNull(waiting, "waiting");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.counters = Objects.requireNonNull(counters, "counters");
        this.current = new EngineSnapshot(0, 0, kv.totalBlocks(), 0, 0, 0, 0, 0, 0,
                executor.deviceMemoryUsedBytes(), Map.of());
    }

    EngineSnapshot current() {
        return current;
    }

    /** @param force refresh the per-tenant KV figures now (idle turns, shutdown) */
    void publish(boolean force) {
        long now = ticker.nanos();
        if (force || now - lastTenantStatsNanos >= TENANT_STATS_INTERVAL_NANOS) {
            tenantKv = kv.tenantStats();
            lastTenantStatsNanos = now;
        }
        Map<String, Preemptions.TenantPreemptions> preempted = batch.preemptionsByTenant();
        Set<String> tenants = new HashSet<>(tenantKv.keySet());
        tenants.addAll(preempted.keySet());
        Map<String, EngineSnapshot.TenantCacheStats> perTenant = new HashMap<>();
        for (String t : tenants) {
            TenantKvStats s = tenantKv.getOrDefault(t, NO_KV);
            Preemptions.TenantPreemptions p = preempted.getOrDefault(t, NO_PREEMPTIONS);
            perTenant.put(t, new EngineSnapshot.TenantCacheStats(s.prefixQueryTokens(), s.prefixHitTokens(),
                    s.blocksHeld(), p.total(), p.fairShare(), p.flex(), p.recomputedTokens(), p.preemptedNanos()));
        }
        current = new EngineSnapshot(batch.running().size(), waiting.queued() + batch.resumeQueueSize(),
                kv.totalBlocks(), kv.usedBlocks(), kv.cachedFreeBlocks(), batch.preemptions(),
                counters.promptTokensComputed, counters.outputTokens, counters.lastBatchSize,
                executor.deviceMemoryUsedBytes(), perTenant);
    }

    @Override
    public String toString() {
        return "SnapshotPublisher[" + current + "]";
    }
}
