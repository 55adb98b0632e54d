package io.fairlane.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * The meters of one upstream target: attempts by outcome, latency, health. Health is what the target's breaker
 * says, read at each scrape through the newest routing that binds it ({@link #bindHealth}); before any binding a
 * target counts as healthy. Thread-safe.
 */
public final class UpstreamMeters {

    private final MeterRegistry registry;
    private final String target;
    private final Timer latency;
    private final AtomicReference<BooleanSupplier> healthy = new AtomicReference<>(() -> true);
    private final ConcurrentHashMap<String, Counter> outcomes = new ConcurrentHashMap<>();

    UpstreamMeters(MeterRegistry registry, String target, Duration[] buckets) {
        this.registry = registry;
        this.target = target;
        this.latency = Timer.builder(FairlaneMeter.UPSTREAM_LATENCY.meterName())
                .description(FairlaneMeter.UPSTREAM_LATENCY.description())
                .tag("target", target).serviceLevelObjectives(buckets).register(registry);
        Gauge.builder(FairlaneMeter.UPSTREAM_HEALTHY.meterName(), healthy, h -> h.get().getAsBoolean() ? 1 : 0)
                .description(FairlaneMeter.UPSTREAM_HEALTHY.description()).tag("target", target).register(registry);
    }

    /** Records an attempt's outcome and, when {@code nanos >= 0}, its latency. */
    public void attempt(String outcome, long nanos) {
        outcomes.computeIfAbsent(outcome, o -> Counter.builder(FairlaneMeter.UPSTREAM_REQUESTS.meterName())
                .description(FairlaneMeter.UPSTREAM_REQUESTS.description())
                .tags("target", target, "outcome", o).register(registry)).increment();
        if (nanos >= 0) {
            latency.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Reads the target's health from {@code serving} from now on (its newest breaker). */
    public void bindHealth(BooleanSupplier serving) {
        healthy.set(serving);
    }

    public boolean healthy() {
        return healthy.get().getAsBoolean();
    }
}
