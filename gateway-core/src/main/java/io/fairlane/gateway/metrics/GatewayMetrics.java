package io.fairlane.gateway.metrics;

import io.fairlane.gateway.config.MetricsConfig;
import io.fairlane.gateway.config.TenantConfig;
import io.fairlane.gateway.http.ConnectionEvent;
import io.fairlane.gateway.http.ConnectionStats;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.http.HttpHandler;
import io.fairlane.gateway.http.PreparationPool;
import io.fairlane.gateway.http.RequestLog;
import io.fairlane.gateway.slo.SloSpec;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntSupplier;

/**
 * Binds Fairlane's meters ({@link FairlaneMeter}) to a Micrometer registry and records each request's
 * outcome when it ends. Thread-safe; meters are created once per tag combination and cached.
 *
 * <p>Tag values are bounded: {@code model} is a configured model id (requests for unknown models are
 * tagged {@code none}), {@code tenant} a configured tenant id ({@code none} before authentication).
 */
public final class GatewayMetrics implements AutoCloseable {

    static final String NONE = "none";

    private final MeterRegistry registry;
    private final Duration[] buckets;
    /** By tenant, then model: two lookups on strings whose hashes are cached, and no key object per request. */
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, RequestMeters>> requestMeters =
            new ConcurrentHashMap<>();
    private final ConcurrentHashMap<RequestKey, Counter> requestCounters = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, UpstreamMeters> upstreamMeters = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, LaneGauges> laneGauges = new ConcurrentHashMap<>();
    private final ScheduledExecutorService poller;
    private final RoutingMeters routing;

    private record RequestKey(String tenant, String model, String endpoint, int status) {
    }

    public GatewayMetrics(MeterRegistry registry, List<Duration> buckets) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.buckets = buckets.stream().sorted().distinct().toArray(Duration[]::new);
        this.poller = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("fairlane-metrics")
                .factory());
        this.routing = new RoutingMeters(registry, this.buckets);
    }

    /** Routing and shadow-traffic meters. */
    public RoutingMeters routing() {
        return routing;
    }

    /** The configured latency buckets plus every tenant's SLO threshold. */
    public static List<Duration> buckets(MetricsConfig metrics, List<TenantConfig> tenants) {
        TreeSet<Duration> all = new TreeSet<>(metrics.latencyBuckets());
        for (TenantConfig t : tenants) {
            for (SloSpec s : t.slos()) {
                if (s instanceof SloSpec.Latency l) {
                    all.add(l.threshold());
                }
            }
        }
        return List.copyOf(all);
    }

    /** Those of {@code wanted} that are not bucket boundaries of the latency histograms. */
    public List<Duration> missingBuckets(List<Duration> wanted) {
        List<Duration> have = List.of(buckets);
        return wanted.stream().filter(d -> !have.contains(d)).toList();
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** A poller for gauges that read engine and scheduler snapshots. */
    ScheduledExecutorService poller() {
        return poller;
    }

    /** The meters of a (tenant, model) pair. */
    public RequestMeters request(String tenant, String model) {
        ConcurrentHashMap<String, RequestMeters> byModel = requestMeters.get(tenant);
        RequestMeters known = byModel == null ? null : byModel.get(model);
        if (known != null) {
            return known;
        }
        return requestMeters.computeIfAbsent(tenant, t -> new ConcurrentHashMap<>()).computeIfAbsent(model, k -> {
            Tags tags = Tags.of("tenant", tenant, "model", model);
            AtomicInteger inFlight = new AtomicInteger();
            Gauge.builder(FairlaneMeter.REQUESTS_IN_FLIGHT.meterName(), inFlight, AtomicInteger::get)
                    .description(FairlaneMeter.REQUESTS_IN_FLIGHT.description()).tags(tags).register(registry);
            return new RequestMeters(
                    latencyTimer(FairlaneMeter.TIME_TO_FIRST_TOKEN, tags),
                    latencyTimer(FairlaneMeter.INTER_TOKEN_LATENCY, tags),
                    latencyTimer(FairlaneMeter.E2E_REQUEST_LATENCY, tags),
                    latencyTimer(FairlaneMeter.REQUEST_QUEUE_TIME, tags),
                    tokens(tags, "prompt"), tokens(tags, "cached"), tokens(tags, "completion"),
                    inFlight);
        });
    }

    Timer latencyTimer(FairlaneMeter meter, Tags tags) {
        return Timer.builder(meter.meterName())
                .description(meter.description())
                .tags(tags)
                .serviceLevelObjectives(buckets)
                .register(registry);
    }

    private Counter tokens(Tags tags, String kind) {
        return Counter.builder(FairlaneMeter.TOKENS.meterName()).description(FairlaneMeter.TOKENS.description())
                .tags(tags).tag("kind", kind).register(registry);
    }

    /**
     * Counts a request as in flight for (tenant, model); it stops counting when the exchange ends. Call once
     * the tenant is authenticated and the model resolved.
     */
    public RequestMeters started(Exchange exchange, String model) {
        RequestLog log = exchange.log();
        log.model = model;
        RequestMeters m = request(log.tenant == null ? NONE : log.tenant, model);
        m.inFlight().incrementAndGet();
        exchange.onDone(e -> m.inFlight().decrementAndGet());
        return m;
    }

    /** The decorator that records every request's outcome (status, latency, tokens) when it ends. */
    public Function<HttpHandler, HttpHandler> decorator() {
        return next -> exchange -> {
            exchange.onDone(this::ended);
            next.serve(exchange);
        };
    }

    private void ended(Exchange exchange) {
        RequestLog log = exchange.log();
        String tenant = log.tenant == null ? NONE : log.tenant;
        String model = log.model == null ? NONE : log.model;
        requestCounter(tenant, model, log.endpoint, log.status).increment();
        if (log.model == null || log.tenant == null) {
            return;
        }
        RequestMeters m = request(tenant, model);
        if (log.status < 400) {
            m.e2eLatency().record(log.durationNanos, TimeUnit.NANOSECONDS);
            if (log.ttftNanos >= 0) {
                m.timeToFirstToken().record(log.ttftNanos, TimeUnit.NANOSECONDS);
            }
        }
        m.countTokens(log.promptTokens, log.cachedTokens, log.completionTokens);
    }

    private Counter requestCounter(String tenant, String model, String endpoint, int status) {
        return requestCounters.computeIfAbsent(new RequestKey(tenant, model, endpoint, status),
                k -> Counter.builder(FairlaneMeter.REQUESTS.meterName())
                        .description(FairlaneMeter.REQUESTS.description())
                        .tags("tenant", k.tenant, "model", k.model, "endpoint", k.endpoint, "status",
                                Integer.toString(k.status))
                        .register(registry));
    }

    /** Gauges and the rejection counter of the preparation pool, read from it at each scrape. */
    public void bindPreparation(PreparationPool pool) {
        Gauge.builder(FairlaneMeter.PREPARATION_QUEUE_DEPTH.meterName(), pool, PreparationPool::queueDepth)
                .description(FairlaneMeter.PREPARATION_QUEUE_DEPTH.description()).register(registry);
        Gauge.builder(FairlaneMeter.PREPARATION_ACTIVE.meterName(), pool, PreparationPool::active)
                .description(FairlaneMeter.PREPARATION_ACTIVE.description()).register(registry);
        FunctionCounter.builder(FairlaneMeter.PREPARATION_REJECTIONS.meterName(), pool, PreparationPool::rejections)
                .description(FairlaneMeter.PREPARATION_REJECTIONS.description()).register(registry);
    }

    /**
     * The counter of connection events, one series per kind from the start, for the HTTP front end to report to.
     */
    public ConnectionStats connectionStats() {
        EnumMap<ConnectionEvent, Counter> counters = new EnumMap<>(ConnectionEvent.class);
        for (ConnectionEvent e : ConnectionEvent.values()) {
            counters.put(e, Counter.builder(FairlaneMeter.CONNECTION_EVENTS.meterName())
                    .description(FairlaneMeter.CONNECTION_EVENTS.description()).tag("kind", e.tag()).register(registry));
        }
        return e -> counters.get(e).increment();
    }

    /** The open-connection gauge, read from {@code open} at each scrape. */
    public void bindConnections(IntSupplier open) {
        Gauge.builder(FairlaneMeter.CONNECTIONS_OPEN.meterName(), open, IntSupplier::getAsInt)
                .description(FairlaneMeter.CONNECTIONS_OPEN.description()).register(registry);
    }

    /** Meters of one upstream target. */
    public UpstreamMeters upstream(String target) {
        return upstreamMeters.computeIfAbsent(target, t -> new UpstreamMeters(registry, t, buckets));
    }

    /** Scheduler event sink and gauges for a lane (a model's tenant scheduler). */
    public LaneMetrics lane(String lane) {
        return new LaneMetrics(this, lane, laneGauges.computeIfAbsent(lane, k -> new LaneGauges()));
    }

    DistributionSummary summary(FairlaneMeter meter, Tags tags) {
        return DistributionSummary.builder(meter.meterName()).description(meter.description()).tags(tags)
                .register(registry);
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }
}
