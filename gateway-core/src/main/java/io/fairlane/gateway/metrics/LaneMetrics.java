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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.slf4j.LoggerFactory;

/**
 * A lane's scheduler and engine meters. As a {@link SchedulerStats} it receives the lane's scheduling
 * events (rejections, queue waits) as they happen; gauges of queue depth, balance and engine state read a
 * snapshot refreshed once a second by the metrics poller, so a scrape never takes the scheduler's lock.
 * The scheduler binds itself through {@link #attach} when it is created, which covers the engine's waiting
 * queue as well as an upstream lane's scheduler.
 *
 * <p>One {@code LaneMetrics} belongs to one backend. The gauges belong to the lane id and outlive it: they
 * read a {@link LaneGauges} that {@link GatewayMetrics} keeps per lane, which the newest backend of the lane
 * writes. A reload that rebuilds an upstream lane thus moves its gauges to the new scheduler (Micrometer
 * would hand the old backend's gauges back to a second registration under the same tags).
 *
 * <p>Event methods are called under the scheduler's lock: they only touch cached meters.
 */
public final class LaneMetrics implements SchedulerStats, AutoCloseable {

    private final GatewayMetrics metrics;
    private final MeterRegistry registry;
    private final String lane;
    private final LaneGauges gauges;
    private final ConcurrentHashMap<String, Counter> rejections = new ConcurrentHashMap<>();
    private final AtomicBoolean schedulerBound = new AtomicBoolean();
    private final List<ScheduledFuture<?>> polls = new CopyOnWriteArrayList<>();

    LaneMetrics(GatewayMetrics metrics, String lane, LaneGauges gauges) {
        this.metrics = metrics;
        this.registry = metrics.registry();
        this.lane = lane;
        this.gauges = gauges;
        gauges.owner = this;
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

    @Override
    public void attach(Supplier<SchedulerSnapshot> snapshots) {
        bindScheduler(snapshots);
    }

    /**
     * Polls a scheduler's snapshot for the queue-depth and balance gauges. Binding the same lane's
     * scheduler again (the scheduler binds itself on creation) is a no-op.
     */
    public void bindScheduler(Supplier<SchedulerSnapshot> snapshots) {
        if (!schedulerBound.compareAndSet(false, true)) {
            return;
        }
        start(() -> {
            SchedulerSnapshot s = snapshots.get();
            if (!owns()) {
                return;
            }
            gauges.scheduler = s;
            for (String tenant : s.tenants().keySet()) {
                if (gauges.schedulerTenants.add(tenant)) {
                    Tags tags = Tags.of("tenant", tenant, "lane", lane);
                    Gauge.builder(FairlaneMeter.SCHEDULER_QUEUE_DEPTH.meterName(), gauges,
                                    g -> g.schedulerValue(tenant, true))
                            .description(FairlaneMeter.SCHEDULER_QUEUE_DEPTH.description()).tags(tags)
                            .register(registry);
                    Gauge.builder(FairlaneMeter.SCHEDULER_BALANCE.meterName(), gauges,
                                    g -> g.schedulerValue(tenant, false))
                            .description(FairlaneMeter.SCHEDULER_BALANCE.description()).tags(tags).register(registry);
                }
            }
        });
    }

    /** Polls an engine's snapshot for the engine gauges and per-tenant cache meters. */
    public void bindEngine(Supplier<EngineSnapshot> snapshots) {
        Tags model = Tags.of("model", lane);
        DistributionSummary batch = metrics.summary(FairlaneMeter.ENGINE_BATCH_SIZE, model);
        if (gauges.engineBound.compareAndSet(false, true)) {
            gauge(FairlaneMeter.ENGINE_SEQUENCES_RUNNING, model, s -> s.running());
            gauge(FairlaneMeter.ENGINE_SEQUENCES_WAITING, model, s -> s.waiting());
            gauge(FairlaneMeter.ENGINE_KV_USAGE, model,
                    s -> s.kvBlocksTotal() == 0 ? 0 : (double) s.kvBlocksUsed() / s.kvBlocksTotal());
            gauge(FairlaneMeter.ENGINE_DEVICE_MEMORY_USED, model, s -> s.deviceMemoryUsedBytes());
            FunctionCounter.builder(FairlaneMeter.ENGINE_GENERATED_TOKENS.meterName(), gauges,
                            g -> g.engine == null ? 0 : g.engine.outputTokens())
                    .description(FairlaneMeter.ENGINE_GENERATED_TOKENS.description()).tags(model).register(registry);
        }
        start(() -> {
            EngineSnapshot s = snapshots.get();
            if (!owns()) {
                return;
            }
            gauges.engine = s;
            batch.record(s.lastBatchSize());
            for (String tenant : s.tenants().keySet()) {
                if (gauges.engineTenants.add(tenant)) {
                    bindEngineTenant(tenant);
                }
            }
        });
    }

    private boolean owns() {
        return gauges.owner == this;
    }

    private void gauge(FairlaneMeter meter, Tags tags, ToDoubleFunction<EngineSnapshot> f) {
        Gauge.builder(meter.meterName(), gauges, g -> g.engine == null ? 0 : f.applyAsDouble(g.engine))
                .description(meter.description()).tags(tags).baseUnit(meter.baseUnit()).register(registry);
    }

    private void bindEngineTenant(String tenant) {
        Tags tags = Tags.of("tenant", tenant, "model", lane);
        FunctionCounter.builder(FairlaneMeter.PREFIX_CACHE_QUERIES.meterName(), gauges,
                        g -> g.tenantStat(tenant, EngineSnapshot.TenantCacheStats::prefixQueryTokens))
                .description(FairlaneMeter.PREFIX_CACHE_QUERIES.description()).tags(tags).register(registry);
        FunctionCounter.builder(FairlaneMeter.PREFIX_CACHE_HITS.meterName(), gauges,
                        g -> g.tenantStat(tenant, EngineSnapshot.TenantCacheStats::prefixHitTokens))
                .description(FairlaneMeter.PREFIX_CACHE_HITS.description()).tags(tags).register(registry);
        FunctionCounter.builder(FairlaneMeter.ENGINE_PREEMPTIONS.meterName(), gauges,
                        g -> g.tenantStat(tenant, EngineSnapshot.TenantCacheStats::kvCachePreemptions))
                .description(FairlaneMeter.ENGINE_PREEMPTIONS.description()).tags(tags.and("reason", "kv_cache"))
                .register(registry);
        FunctionCounter.builder(FairlaneMeter.ENGINE_PREEMPTIONS.meterName(), gauges,
                        g -> g.tenantStat(tenant, EngineSnapshot.TenantCacheStats::fairSharePreemptions))
                .description(FairlaneMeter.ENGINE_PREEMPTIONS.description()).tags(tags.and("reason", "fair_share"))
                .register(registry);
        FunctionCounter.builder(FairlaneMeter.ENGINE_PREEMPTIONS.meterName(), gauges,
                        g -> g.tenantStat(tenant, EngineSnapshot.TenantCacheStats::flexPreemptions))
                .description(FairlaneMeter.ENGINE_PREEMPTIONS.description()).tags(tags.and("reason", "flex"))
                .register(registry);
        FunctionCounter.builder(FairlaneMeter.ENGINE_RECOMPUTED_TOKENS.meterName(), gauges,
                        g -> g.tenantStat(tenant, EngineSnapshot.TenantCacheStats::recomputedTokens))
                .description(FairlaneMeter.ENGINE_RECOMPUTED_TOKENS.description()).tags(tags).register(registry);
        FunctionCounter.builder(FairlaneMeter.ENGINE_PREEMPTED_SECONDS.meterName(), gauges,
                        g -> g.tenantStat(tenant, EngineSnapshot.TenantCacheStats::preemptedNanos) / 1e9)
                .description(FairlaneMeter.ENGINE_PREEMPTED_SECONDS.description()).tags(tags).register(registry);
        Gauge.builder(FairlaneMeter.KV_BLOCKS_HELD.meterName(), gauges,
                        g -> g.tenantStat(tenant, EngineSnapshot.TenantCacheStats::kvBlocksHeld))
                .description(FairlaneMeter.KV_BLOCKS_HELD.description()).tags(tags).register(registry);
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

    /**
     * Stops polling. If no newer backend of the lane took the gauges over (the lane was removed), its
     * scheduler gauges fall to 0; the engine's counters keep their last values, as counters must.
     */
    @Override
    public void close() {
        polls.forEach(f -> f.cancel(false));
        if (owns()) {
            gauges.scheduler = null;
        }
    }
}
