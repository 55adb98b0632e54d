package io.fairlane.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Meters of files and batches ({@link FairlaneMeter#FILES_UPLOADED}, {@code BATCH_*}). A batch line's own request is
 * metered like any other (tokens, latency, status, per tenant and model) because it runs through the same handlers;
 * these add what only batches have: lines by outcome, how long lines wait, what is still pending.
 *
 * <p>Thread-safe; meters are created once per tag combination.
 */
public final class BatchMeters {

    private final MeterRegistry registry;
    private final List<Duration> buckets;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> waits = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> pending = new ConcurrentHashMap<>();

    public BatchMeters(MeterRegistry registry, List<Duration> buckets) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.buckets = List.copyOf(buckets);
    }

    /** Meters that record into a registry of their own: for tests and tools that do not look at them. */
    public static BatchMeters detached() {
        return new BatchMeters(new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), List.of());
    }

    /**
     * Creates every series of these tenants at zero, so that dashboards and alerts see them before the first upload
     * or batch (a rate over an absent series is empty, not zero). Called at start and on reload.
     */
    public void register(List<String> tenants) {
        for (String t : tenants) {
            counter(FairlaneMeter.FILES_UPLOADED, t, null, null);
            for (String outcome : List.of("completed", "failed", "retried")) {
                counter(FairlaneMeter.BATCH_LINES, t, "outcome", outcome);
            }
            for (String status : List.of("completed", "failed", "expired", "cancelled")) {
                counter(FairlaneMeter.BATCHES, t, "status", status);
            }
            timer(t);
            gauge(t);
        }
    }

    public void fileUploaded(String tenant, long bytes) {
        counter(FairlaneMeter.FILES_UPLOADED, tenant, null, null).increment(bytes);
    }

    /** A line finished: {@code completed}, {@code failed} or {@code retried}. */
    public void line(String tenant, String outcome) {
        counter(FairlaneMeter.BATCH_LINES, tenant, "outcome", outcome).increment();
    }

    /** A line was sent to its lane after waiting {@code nanos}. */
    public void waited(String tenant, long nanos) {
        timer(tenant).record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
    }

    /** A batch reached a final status. */
    public void batch(String tenant, String status) {
        counter(FairlaneMeter.BATCHES, tenant, "status", status).increment();
    }

    /** The tenants' pending lines, replacing the previous reading (tenants not named read 0). */
    public void pending(Map<String, Long> byTenant) {
        for (Map.Entry<String, AtomicLong> e : pending.entrySet()) {
            if (!byTenant.containsKey(e.getKey())) {
                e.getValue().set(0);
            }
        }
        byTenant.forEach((tenant, lines) -> gauge(tenant).set(lines));
    }

    private Timer timer(String tenant) {
        return waits.computeIfAbsent(tenant, t -> Timer.builder(FairlaneMeter.BATCH_QUEUE_AGE.meterName())
                .description(FairlaneMeter.BATCH_QUEUE_AGE.description()).tag("tenant", t)
                .serviceLevelObjectives(buckets.toArray(Duration[]::new)).register(registry));
    }

    private AtomicLong gauge(String tenant) {
        return pending.computeIfAbsent(tenant, t -> {
            AtomicLong value = new AtomicLong();
            Gauge.builder(FairlaneMeter.BATCH_LINES_PENDING.meterName(), value, AtomicLong::get)
                    .description(FairlaneMeter.BATCH_LINES_PENDING.description()).tag("tenant", t).register(registry);
            return value;
        });
    }

    private Counter counter(FairlaneMeter meter, String tenant, String tag, String value) {
        String key = meter.name() + '\u0000' + tenant + '\u0000' + value;
        return counters.computeIfAbsent(key, k -> {
            Counter.Builder b = Counter.builder(meter.meterName()).description(meter.description())
                    .baseUnit(meter.baseUnit()).tag("tenant", tenant);
            if (tag != null) {
                b.tag(tag, value);
            }
            return b.register(registry);
        });
    }
}
