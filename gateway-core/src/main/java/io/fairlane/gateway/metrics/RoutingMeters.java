package io.fairlane.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.IntSupplier;

/**
 * The meters of upstream routing and shadow traffic: which target served each request after how many attempts,
 * tokens per target, retries and the budget's refusals, spills between groups, breaker events, each target's
 * in-flight count, ejection and weight, and the shadow comparisons. Tags are bounded: models and targets are
 * configured names, the other tags fixed words.
 *
 * <p>Per-target gauges belong to the (model, target) pair and outlive a reload: they read a holder that the
 * newest routing of the model writes ({@link #bindTarget}), as {@link LaneMetrics}' gauges do.
 *
 * <p>Thread-safe; meters are created once per tag set and cached.
 */
public final class RoutingMeters {

    private final MeterRegistry registry;
    private final Duration[] buckets;
    private final ConcurrentHashMap<List<String>, Counter> counters = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<List<String>, DistributionSummary> summaries = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<List<String>, Timer> timers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<List<String>, TargetGauges> gauges = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<List<String>, java.util.concurrent.atomic.AtomicReference<DoubleSupplier>> hitRatios =
            new ConcurrentHashMap<>();

    /** What a target's gauges read; the newest binding writes it. */
    private static final class TargetGauges {
        volatile IntSupplier inFlight = () -> 0;
        volatile IntSupplier ejected = () -> 0;
        volatile int weight;
    }

    RoutingMeters(MeterRegistry registry, Duration[] buckets) {
        this.registry = registry;
        this.buckets = buckets;
    }

    /** A request ended: served by {@code target} ({@code ok} or {@code error}, or how the client left). */
    public void served(String model, String target, String outcome, int attempts) {
        counter(FairlaneMeter.ROUTING_REQUESTS, "model", model, "target", target, "outcome", outcome).increment();
        attemptsSummary(model).record(attempts);
    }

    private DistributionSummary attemptsSummary(String model) {
        return summaries.computeIfAbsent(List.of("attempts", model), k -> DistributionSummary
                .builder(FairlaneMeter.ROUTING_ATTEMPTS.meterName())
                .description(FairlaneMeter.ROUTING_ATTEMPTS.description()).tag("model", model)
                .serviceLevelObjectives(1, 2, 3, 4, 5).register(registry));
    }

    /** The tokens a request used, billed to the target that served it. */
    public void tokens(String model, String target, int prompt, int cached, int completion) {
        if (prompt > 0) {
            counter(FairlaneMeter.ROUTING_TOKENS, "model", model, "target", target, "kind", "prompt").increment(prompt);
        }
        if (cached > 0) {
            counter(FairlaneMeter.ROUTING_TOKENS, "model", model, "target", target, "kind", "cached").increment(cached);
        }
        if (completion > 0) {
            counter(FairlaneMeter.ROUTING_TOKENS, "model", model, "target", target, "kind", "completion")
                    .increment(completion);
        }
    }

    /**
     * The request-end meters of one (model, target) pair, for a lane to look up once and keep: a request's end
     * then costs no map key, tag array or registry lookup. Each meter is still created at its first use, so the
     * series that exist are the same as through {@link #served} and {@link #tokens}.
     */
    public TargetMeters target(String model, String target) {
        return new TargetMeters(model, target);
    }

    /** What {@link #served} and {@link #tokens} record, for one (model, target) pair. Thread-safe. */
    public final class TargetMeters {

        private final String model;
        private final String target;
        private final ConcurrentHashMap<String, Counter> byOutcome = new ConcurrentHashMap<>(4);
        private volatile DistributionSummary attempts;
        private volatile Counter prompt;
        private volatile Counter cached;
        private volatile Counter completion;

        private TargetMeters(String model, String target) {
            this.model = model;
            this.target = target;
        }

        /** As {@link RoutingMeters#served}. */
        public void served(String outcome, int attemptCount) {
            Counter c = byOutcome.get(outcome);
            if (c == null) {
                c = byOutcome.computeIfAbsent(outcome,
                        o -> counter(FairlaneMeter.ROUTING_REQUESTS, "model", model, "target", target, "outcome", o));
            }
            c.increment();
            DistributionSummary a = attempts;
            if (a == null) {
                attempts = a = attemptsSummary(model);
            }
            a.record(attemptCount);
        }

        /** As {@link RoutingMeters#tokens}. */
        public void tokens(int promptTokens, int cachedTokens, int completionTokens) {
            if (promptTokens > 0) {
                Counter c = prompt;
                if (c == null) {
                    prompt = c = tokenCounter("prompt");
                }
                c.increment(promptTokens);
            }
            if (cachedTokens > 0) {
                Counter c = cached;
                if (c == null) {
                    cached = c = tokenCounter("cached");
                }
                c.increment(cachedTokens);
            }
            if (completionTokens > 0) {
                Counter c = completion;
                if (c == null) {
                    completion = c = tokenCounter("completion");
                }
                c.increment(completionTokens);
            }
        }

        private Counter tokenCounter(String kind) {
            return counter(FairlaneMeter.ROUTING_TOKENS, "model", model, "target", target, "kind", kind);
        }
    }

    /** A retry was sent ({@code allowed}) or refused by the budget ({@code budget_exhausted}). */
    public void retry(String model, String decision) {
        counter(FairlaneMeter.ROUTING_RETRIES, "model", model, "decision", decision).increment();
    }

    /** New work spilled from group {@code from} to {@code to} ({@code in_flight}, {@code ttft}, {@code queue_wait}). */
    public void spill(String model, String from, String to, String reason) {
        counter(FairlaneMeter.ROUTING_SPILLS, "model", model, "from", from, "to", to, "reason", reason).increment();
    }

    /** A breaker event: {@code ejected}, {@code restored}, {@code kept_as_last}. */
    public void breaker(String model, String target, String event) {
        counter(FairlaneMeter.ROUTING_EJECTIONS, "model", model, "target", target, "event", event).increment();
    }

    /** Points the target's gauges at the newest routing of its model. */
    public void bindTarget(String model, String target, int weight, IntSupplier inFlight, IntSupplier ejected) {
        TargetGauges g = gauges.computeIfAbsent(List.of(model, target), k -> {
            TargetGauges n = new TargetGauges();
            Tags tags = Tags.of("model", model, "target", target);
            Gauge.builder(FairlaneMeter.ROUTING_TARGET_IN_FLIGHT.meterName(), n, x -> x.inFlight.getAsInt())
                    .description(FairlaneMeter.ROUTING_TARGET_IN_FLIGHT.description()).tags(tags).register(registry);
            Gauge.builder(FairlaneMeter.ROUTING_TARGET_EJECTED.meterName(), n, x -> x.ejected.getAsInt())
                    .description(FairlaneMeter.ROUTING_TARGET_EJECTED.description()).tags(tags).register(registry);
            Gauge.builder(FairlaneMeter.ROUTING_TARGET_WEIGHT.meterName(), n, x -> x.weight)
                    .description(FairlaneMeter.ROUTING_TARGET_WEIGHT.description()).tags(tags).register(registry);
            return n;
        });
        g.weight = weight;
        g.inFlight = inFlight;
        g.ejected = ejected;
    }

    /** A request placed on an engine replica, and why ({@code affinity}, {@code overflow}, {@code failover}, ...). */
    public void routed(String model, String replica, String reason) {
        counter(FairlaneMeter.CLUSTER_ROUTED, "model", model, "replica", replica, "reason", reason).increment();
    }

    /** Points a replica's cache hit ratio gauge at the newest reading of it. */
    public void bindReplica(String model, String replica, DoubleSupplier hitRatio) {
        hitRatios.computeIfAbsent(List.of(model, replica), k -> {
            java.util.concurrent.atomic.AtomicReference<DoubleSupplier> ref =
                    new java.util.concurrent.atomic.AtomicReference<>();
            Gauge.builder(FairlaneMeter.CLUSTER_REPLICA_CACHE_HIT_RATIO.meterName(), ref,
                            r -> r.get() == null ? 0 : r.get().getAsDouble())
                    .description(FairlaneMeter.CLUSTER_REPLICA_CACHE_HIT_RATIO.description())
                    .tags("model", model, "replica", replica).register(registry);
            return ref;
        }).set(hitRatio);
    }

    /** A shadow request's fate: {@code ok}, {@code error}, {@code timeout}, {@code failed}, {@code skipped}, {@code dropped}. */
    public void shadow(String model, String outcome) {
        counter(FairlaneMeter.SHADOW_REQUESTS, "model", model, "outcome", outcome).increment();
    }

    /** One field of a shadow comparison. */
    public void shadowCompare(String model, String field, boolean match) {
        counter(FairlaneMeter.SHADOW_COMPARISONS, "model", model, "field", field, "result",
                match ? "match" : "mismatch").increment();
    }

    /** The shadow's output length over the primary's. */
    public void shadowOutputRatio(String model, double ratio) {
        summaries.computeIfAbsent(List.of("ratio", model), k -> DistributionSummary
                .builder(FairlaneMeter.SHADOW_OUTPUT_RATIO.meterName())
                .description(FairlaneMeter.SHADOW_OUTPUT_RATIO.description()).tag("model", model)
                .serviceLevelObjectives(0.5, 0.8, 0.95, 1.05, 1.25, 2).register(registry)).record(ratio);
    }

    /** The primary's or the shadow's latency to its last byte. */
    public void shadowLatency(String model, String side, long nanos) {
        timers.computeIfAbsent(List.of(model, side), k -> Timer.builder(FairlaneMeter.SHADOW_LATENCY.meterName())
                .description(FairlaneMeter.SHADOW_LATENCY.description()).tags("model", model, "side", side)
                .serviceLevelObjectives(buckets).register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }

    private Counter counter(FairlaneMeter meter, String... tags) {
        String[] key = new String[tags.length + 1];
        key[0] = meter.meterName();
        System.arraycopy(tags, 0, key, 1, tags.length);
        return counters.computeIfAbsent(List.of(key), k -> Counter.builder(meter.meterName())
                .description(meter.description()).tags(tags).register(registry));
    }
}
