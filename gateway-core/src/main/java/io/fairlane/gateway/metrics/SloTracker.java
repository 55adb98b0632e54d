package io.fairlane.gateway.metrics;

import io.fairlane.gateway.slo.BurnRateTracker;
import io.fairlane.gateway.slo.BurnWindow;
import io.fairlane.gateway.slo.RequestOutcome;
import io.fairlane.gateway.slo.SloSpec;
import io.fairlane.gateway.slo.SloStatus;
import io.fairlane.scheduler.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Tracks every tenant's SLOs: classifies each reported request, counts it, keeps its burn-rate buckets
 * and exposes the SLO meters.
 *
 * <p>For each configured (tenant, SLO) it registers {@code fairlane.slo.events{tenant,slo,outcome}}
 * (good and bad), {@code fairlane.slo.objective{tenant,slo}} and
 * {@code fairlane.slo.burn.rate{tenant,slo,window}} for each {@link BurnWindow}. They exist from the moment
 * the SLO is configured, at zero, so dashboards and rules see every tenant before its first request.
 *
 * <p>Thread-safe. {@link #record} runs on event loops and reads an immutable map published through a
 * volatile field; {@link #configure} (start-up and config reload) builds a new map under the instance lock
 * and keeps the buckets of every SLO whose definition did not change, so a reload loses no history.
 *
 * <p>Low traffic makes burn rates noisy: with {@code n} events in a window one bad event reads
 * {@code 1 / (n (1 - objective))}, so a 99% SLO with 5 requests in 5 minutes reads 20 after one slow
 * request. docs/operations.md says what to do about it.
 */
public final class SloTracker {

    private static final String TENANT = "tenant";
    private static final String SLO = "slo";
    private static final String WINDOW = "window";
    private static final String OUTCOME = "outcome";

    private final MeterRegistry registry;
    private final Ticker ticker;
    private final Duration bucketWidth;
    private volatile Map<String, List<TrackedSlo>> byTenant = Map.of();

    public SloTracker(MeterRegistry registry, Ticker ticker) {
        this(registry, ticker, BurnRateTracker.DEFAULT_BUCKET);
    }

    public SloTracker(MeterRegistry registry, Ticker ticker, Duration bucketWidth) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.bucketWidth = Objects.requireNonNull(bucketWidth, "bucketWidth");
        new BurnRateTracker(ticker, bucketWidth); // fails fast on a width that does not divide the windows
    }

    /**
     * Sets every tenant's SLOs, replacing the previous configuration. Tenants and SLOs no longer listed
     * lose their meters; an SLO whose definition is unchanged keeps its history.
     *
     * @throws IllegalArgumentException if a tenant lists two SLOs of the same name
     */
    public synchronized void configure(Map<String, ? extends List<? extends SloSpec>> slosByTenant) {
        Objects.requireNonNull(slosByTenant, "slosByTenant");
        for (Map.Entry<String, ? extends List<? extends SloSpec>> entry : slosByTenant.entrySet()) {
            Set<String> names = new HashSet<>();
            for (SloSpec spec : entry.getValue()) {
                if (!names.add(spec.name())) {
                    throw new IllegalArgumentException("tenant " + entry.getKey() + " has two SLOs named "
                            + spec.name());
                }
            }
        }
        Map<String, List<TrackedSlo>> previous = byTenant;
        Map<String, TrackedSlo> kept = new HashMap<>();
        for (List<TrackedSlo> tracked : previous.values()) {
            for (TrackedSlo slo : tracked) {
                List<? extends SloSpec> wanted = slosByTenant.get(slo.tenant);
                if (wanted != null && wanted.contains(slo.spec)) {
                    kept.put(key(slo.tenant, slo.spec.name()), slo);
                } else {
                    slo.meters.forEach(registry::remove);
                }
            }
        }
        Map<String, List<TrackedSlo>> next = new LinkedHashMap<>();
        for (Map.Entry<String, ? extends List<? extends SloSpec>> entry : slosByTenant.entrySet()) {
            String tenant = Objects.requireNonNull(entry.getKey(), "tenant");
            List<TrackedSlo> tracked = new ArrayList<>();
            for (SloSpec spec : entry.getValue()) {
                TrackedSlo existing = kept.get(key(tenant, spec.name()));
                tracked.add(existing != null ? existing : register(tenant, spec));
            }
            if (!tracked.isEmpty()) {
                next.put(tenant, List.copyOf(tracked));
            }
        }
        byTenant = Map.copyOf(next);
    }

    /** Counts one finished request of {@code tenant} against each of its SLOs; tenants without SLOs are ignored. */
    public void record(String tenant, RequestOutcome outcome) {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(outcome, "outcome");
        List<TrackedSlo> slos = byTenant.get(tenant);
        if (slos == null) {
            return;
        }
        for (TrackedSlo slo : slos) {
            switch (slo.spec.classify(outcome)) {
                case GOOD -> {
                    slo.buckets.record(true);
                    slo.goodEvents.increment();
                }
                case BAD -> {
                    slo.buckets.record(false);
                    slo.badEvents.increment();
                }
                case NOT_APPLICABLE -> { }
            }
        }
    }

    /** Status of each SLO of {@code tenant}, in config order; empty for a tenant without SLOs. */
    public List<SloStatus> status(String tenant) {
        Objects.requireNonNull(tenant, "tenant");
        List<TrackedSlo> slos = byTenant.getOrDefault(tenant, List.of());
        List<SloStatus> statuses = new ArrayList<>(slos.size());
        for (TrackedSlo slo : slos) {
            statuses.add(slo.status());
        }
        return statuses;
    }

    /** Tenants that have at least one SLO. */
    public Set<String> tenants() {
        return byTenant.keySet();
    }

    private TrackedSlo register(String tenant, SloSpec spec) {
        BurnRateTracker buckets = new BurnRateTracker(ticker, bucketWidth);
        Tags tags = Tags.of(TENANT, tenant, SLO, spec.name());
        List<Meter> meters = new ArrayList<>();
        Counter good = eventCounter(tags, "good");
        Counter bad = eventCounter(tags, "bad");
        meters.add(good);
        meters.add(bad);
        meters.add(Gauge.builder(FairlaneMeter.SLO_OBJECTIVE.meterName(), spec, SloSpec::objective)
                .tags(tags)
                .description(FairlaneMeter.SLO_OBJECTIVE.description())
                .strongReference(true)
                .register(registry));
        for (BurnWindow window : BurnWindow.values()) {
            meters.add(Gauge.builder(FairlaneMeter.SLO_BURN_RATE.meterName(), buckets,
                            b -> b.burnRate(window, spec.objective()))
                    .tags(tags.and(WINDOW, window.label()))
                    .description(FairlaneMeter.SLO_BURN_RATE.description())
                    .strongReference(true)
                    .register(registry));
        }
        return new TrackedSlo(tenant, spec, buckets, good, bad, List.copyOf(meters));
    }

    private Counter eventCounter(Tags tags, String outcome) {
        return Counter.builder(FairlaneMeter.SLO_EVENTS.meterName())
                .tags(tags.and(OUTCOME, outcome))
                .description(FairlaneMeter.SLO_EVENTS.description())
                .register(registry);
    }

    private static String key(String tenant, String slo) {
        return tenant + '\u0000' + slo;
    }

    /** One (tenant, SLO): its definition, buckets and meters. */
    private record TrackedSlo(String tenant, SloSpec spec, BurnRateTracker buckets, Counter goodEvents,
                              Counter badEvents, List<Meter> meters) {

        SloStatus status() {
            return SloStatus.of(tenant, spec, buckets);
        }
    }
}
