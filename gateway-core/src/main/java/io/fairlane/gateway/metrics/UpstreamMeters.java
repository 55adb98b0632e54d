package io.fairlane.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The meters of one upstream target: attempts by outcome, latency, health. Thread-safe. */
public final class UpstreamMeters {

    private final MeterRegistry registry;
    private final String target;
    private final Timer latency;
    private final AtomicInteger healthy = new AtomicInteger(1);
    private final ConcurrentHashMap<String, Counter> outcomes = new ConcurrentHashMap<>();

    UpstreamMeters(MeterRegistry registry, String target, Duration[] buckets) {
        this.registry = registry;
        this.target = target;
        this.latency = Timer.builder(FairlaneMeter.UPSTREAM_LATENCY.meterName())
                .description(FairlaneMeter.UPSTREAM_LATENCY.description())
                .tag("target", target).serviceLevelObjectives(buckets).register(registry);
        Gauge.builder(FairlaneMeter.UPSTREAM_HEALTHY.meterName(), healthy, AtomicInteger::get)
                .description(FairlaneMeter.UPSTREAM_HEALTHY.description()).tag("target", target).register(registry);
    }

    /** Records an attempt's outcome; a connect failure or 5xx marks the target unhealthy until a success. */
    public void attempt(String outcome, long nanos) {
        outcomes.computeIfAbsent(outcome, o -> Counter.builder(FairlaneMeter.UPSTREAM_REQUESTS.meterName())
                .description(FairlaneMeter.UPSTREAM_REQUESTS.description())
                .tags("target", target, "outcome", o).register(registry)).increment();
        switch (outcome) {
            case "ok", "http_4xx" -> healthy.set(1);
            case "connect_error", "http_5xx", "timeout" -> healthy.set(0);
            default -> {
            }
        }
        if (nanos >= 0) {
            latency.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    public boolean healthy() {
        return healthy.get() == 1;
    }
}
