package io.fairlane.gateway.metrics;

import io.fairlane.engine.EngineSnapshot;
import io.fairlane.scheduler.Admission;
import io.fairlane.scheduler.SchedulerSnapshot;
import io.fairlane.scheduler.SchedulerStats;
import io.fairlane.scheduler.ServiceTier;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/**
 * A lane's scheduler and engine meters. As a {@link SchedulerStats} it receives the lane's scheduling
 * events (rejections, queue waits) as they happen; gauges of queue depth, balance and engine state read a
 * snapshot refreshed once a second by the metrics poller, so a scrape never takes the scheduler's lock.
 *
 * <p>Event methods are called under the scheduler's lock: they only touch cached meters.
 */
public final class LaneMetrics implements SchedulerStats, AutoCloseable {

    private final GatewayMetrics metrics;
    private final MeterRegistry registry;
    private final String lane;
    private final ConcurrentHashMap<String, Counter> rejections = new ConcurrentHashMap<>();
    private final Set<String> schedulerTenants = ConcurrentHashMap.newKeySet();
    private final Set<String> engineTenants = ConcurrentHashMap.newKeySet();
    private volatile SchedulerSnapshot schedulerSnapshot;
    private volatile EngineSnapshot engineSnapshot;
    private final List<ScheduledFuture<?>> polls = new CopyOnWriteArrayList<>();

    LaneMetrics(GatewayMetrics metrics, String lane) {
        this.metrics = metrics;
        this.registry = metrics.registry();
        this.lane = lane;
    }

    @Override
    public void recordDispatched(String tenant, ServiceTier tier, long waitNanos) {
        metrics.request(tenant, lane).queueTime().record(Math.max(0, waitNanos), TimeUnit.NANOSECONDS);
    }

    @Override
    public void recordRejected(String tenant, Admission.Reason reason) {
        rejections.computeIfAbsent(tenant + '\0' + reason, k ->
                Counter.builder(FairlaneMeter.SCHEDULER_REJECTIONS.meterName())
                        .description(FairlaneMeter.SCHEDULER_REJECTIONS.description())
                        .tags("tenant", tenant, "lane", lane, "reason", reason.name().toLowerCase(Locale.ROOT))
                        .register(registry)).increment();
    }

    /** Polls a scheduler's snapshot for the queue-depth and balance gauges. */
    public void bindScheduler(Supplier<SchedulerSnapshot> snapshots) {
        start(() -> {
            SchedulerSnapshot s = snapshots.get();
            schedulerSnapshot = s;
            for (String tenant : s.tenants().keySet()) {
                if (schedulerTenants.add(tenant)) {
                    Tags tags = Tags.of("tenant", tenant, "lane", lane);
                    Gauge.builder(FairlaneMeter.SCHEDULER_QUEUE_DEPTH.meterName(), this,
                                    m -> m.schedulerValue(tenant, true))
                            .description(FairlaneMeter.SCHEDULER_QUEUE_DEPTH.description()).tags(tags).register(registry);
                    Gauge.builder(FairlaneMeter.SCHEDULER_BALANCE.meterName(), this,
                                    m -> m.schedulerValue(tenant, false))
                            .description(FairlaneMeter.SCHEDULER_BALANCE.description()).tags(tags).register(registry);
                }
            }
        });
    }

    private double schedulerValue(String tenant, boolean depth) {
        SchedulerSnapshot s = schedulerSnapshot;
        SchedulerSnapshot.TenantState t = s == null ? null : s.tenants().get(tenant);
        if (t == null) {
            return 0;
        }
        return depth ? t.queuedRequests() : t.balance();
    }

    /** Polls an engine's snapshot for the engine gauges and per-tenant cache meters. */
    public void bindEngine(Supplier<EngineSnapshot> snapshots) {
        Tags model = Tags.of("model", lane);
        DistributionSummary batch = metrics.summary(FairlaneMeter.ENGINE_BATCH_SIZE, model);
        gauge(FairlaneMeter.ENGINE_SEQUENCES_RUNNING, model, s -> s.running());
        gauge(FairlaneMeter.ENGINE_SEQUENCES_WAITING, model, s -> s.waiting());
        gauge(FairlaneMeter.ENGINE_KV_USAGE, model,
                s -> s.kvBlocksTotal() == 0 ? 0 : (double) s.kvBlocksUsed() / s.kvBlocksTotal());
        gauge(FairlaneMeter.ENGINE_DEVICE_MEMORY_USED, model, s -> s.deviceMemoryUsedBytes());
        FunctionCounter.builder(FairlaneMeter.ENGINE_GENERATED_TOKENS.meterName(), this,
                        m -> m.engineSnapshot == null ? 0 : m.engineSnapshot.outputTokens())
                .description(FairlaneMeter.ENGINE_GENERATED_TOKENS.description()).tags(model).register(registry);
        start(() -> {
            EngineSnapshot s = snapshots.get();
            engineSnapshot = s;
            batch.record(s.lastBatchSize());
            for (String tenant : s.tenants().keySet()) {
                if (engineTenants.add(tenant)) {
                    bindEngineTenant(tenant);
                }
            }
        });
    }

    private void gauge(FairlaneMeter meter, Tags tags, java.util.function.ToDoubleFunction<EngineSnapshot> f) {
        Gauge.builder(meter.meterName(), this, m -> m.engineSnapshot == null ? 0 : f.applyAsDouble(m.engineSnapshot))
                .description(meter.description()).tags(tags).baseUnit(meter.baseUnit()).register(registry);
    }

    private void bindEngineTenant(String tenant) {
        Tags tags = Tags.of("tenant", tenant, "model", lane);
        FunctionCounter.builder(FairlaneMeter.PREFIX_CACHE_QUERIES.meterName(), this,
                        m -> m.tenantStat(tenant, EngineSnapshot.TenantCacheStats::prefixQueryTokens))
                .description(FairlaneMeter.PREFIX_CACHE_QUERIES.description()).tags(tags).register(registry);
        FunctionCounter.builder(FairlaneMeter.PREFIX_CACHE_HITS.meterName(), this,
                        m -> m.tenantStat(tenant, EngineSnapshot.TenantCacheStats::prefixHitTokens))
                .description(FairlaneMeter.PREFIX_CACHE_HITS.description()).tags(tags).register(registry);
        FunctionCounter.builder(FairlaneMeter.ENGINE_PREEMPTIONS.meterName(), this,
                        m -> m.tenantStat(tenant, EngineSnapshot.TenantCacheStats::preemptions))
                .description(FairlaneMeter.ENGINE_PREEMPTIONS.description()).tags(tags).register(registry);
        Gauge.builder(FairlaneMeter.KV_BLOCKS_HELD.meterName(), this,
                        m -> m.tenantStat(tenant, EngineSnapshot.TenantCacheStats::kvBlocksHeld))
                .description(FairlaneMeter.KV_BLOCKS_HELD.description()).tags(tags).register(registry);
    }

    private double tenantStat(String tenant, java.util.function.ToDoubleFunction<EngineSnapshot.TenantCacheStats> f) {
        EngineSnapshot s = engineSnapshot;
        EngineSnapshot.TenantCacheStats t = s == null ? null : s.tenants().get(tenant);
        return t == null ? 0 : f.applyAsDouble(t);
    }

    private void start(Runnable poll) {
        Runnable safe = () -> {
            try {
                poll.run();
            } catch (RuntimeException e) {
                LoggerFactory.getLogger(LaneMetrics.class).debug("metrics poll of lane {} failed", lane, e);
            }
        };
        safe.run();
        polls.add(metrics.poller().scheduleWithFixedDelay(safe, 1, 1, TimeUnit.SECONDS));
    }

    @Override
    public void close() {
        polls.forEach(f -> f.cancel(false));
    }
}
