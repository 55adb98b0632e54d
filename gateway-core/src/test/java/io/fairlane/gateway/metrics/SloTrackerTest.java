package io.fairlane.gateway.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fairlane.gateway.slo.RequestOutcome;
import io.fairlane.gateway.slo.SloSpec;
import io.fairlane.gateway.slo.SloStatus;
import io.fairlane.gateway.testing.ManualTicker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SloTrackerTest {

    private static final SloSpec TTFT = SloSpec.parse("ttft <= 500ms for 99%");
    private static final SloSpec E2E = SloSpec.parse("e2e <= 10s for 95%");

    private final ManualTicker ticker = new ManualTicker();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final SloTracker tracker = new SloTracker(registry, ticker);

    /** One request per second for {@code duration}, each with the given TTFT and a 2 s end-to-end time. */
    private void traffic(String tenant, Duration duration, Duration ttft) {
        for (long s = 0; s < duration.toSeconds(); s++) {
            tracker.record(tenant, RequestOutcome.Completed.generation(ttft, Duration.ofSeconds(2)));
            ticker.advance(Duration.ofSeconds(1));
        }
    }

    private double burnGauge(String tenant, String slo, String window) {
        return registry.get("fairlane.slo.burn.rate")
                .tags("tenant", tenant, "slo", slo, "window", window).gauge().value();
    }

    private double events(String tenant, String slo, String outcome) {
        return registry.get("fairlane.slo.events")
                .tags("tenant", tenant, "slo", slo, "outcome", outcome).counter().count();
    }

    @Test
    void burnRate_tenantWhoseTtftThresholdIsExceeded_exceedsFastBurnOnShortWindows() {
        tracker.configure(Map.of("acme", List.of(TTFT)));
        traffic("acme", Duration.ofMinutes(10), Duration.ofMillis(800));
        assertThat(List.of(burnGauge("acme", "ttft_500ms", "5m"), burnGauge("acme", "ttft_500ms", "30m"),
                burnGauge("acme", "ttft_500ms", "1h")))
                .allSatisfy(burn -> assertThat(burn).isGreaterThan(SloStatus.FAST_BURN));
    }

    @Test
    void status_tenantWhoseTtftThresholdIsExceeded_isFastBurning() {
        tracker.configure(Map.of("acme", List.of(TTFT)));
        traffic("acme", Duration.ofMinutes(10), Duration.ofMillis(800));
        assertThat(tracker.status("acme").getFirst().alert()).isEqualTo(SloStatus.Alert.FAST_BURN);
    }

    @Test
    void status_steadyBurnOfSeven_isSlowBurningOnly() {
        tracker.configure(Map.of("acme", List.of(TTFT)));
        for (int s = 0; s < 3600; s++) { // 7 slow requests in every 100: burn 7 on every window
            tracker.record("acme", RequestOutcome.Completed.generation(
                    Duration.ofMillis(s % 100 < 7 ? 800 : 100), Duration.ofSeconds(1)));
            ticker.advance(Duration.ofSeconds(1));
        }
        assertThat(tracker.status("acme").getFirst().alert()).isEqualTo(SloStatus.Alert.SLOW_BURN);
    }

    @Test
    void burnRate_otherTenantsSlowRequests_leaveHealthyTenantAtZero() {
        tracker.configure(Map.of("acme", List.of(TTFT), "beta", List.of(TTFT)));
        for (int s = 0; s < 600; s++) {
            tracker.record("acme", RequestOutcome.Completed.generation(Duration.ofSeconds(2), Duration.ofSeconds(3)));
            tracker.record("beta", RequestOutcome.Completed.generation(Duration.ofMillis(100), Duration.ofSeconds(1)));
            ticker.advance(Duration.ofSeconds(1));
        }
        assertThat(burnGauge("beta", "ttft_500ms", "5m")).isZero();
    }

    @Test
    void status_healthyTraffic_isNotPaging() {
        tracker.configure(Map.of("acme", List.of(TTFT)));
        traffic("acme", Duration.ofMinutes(10), Duration.ofMillis(100));
        assertThat(tracker.status("acme").getFirst().paging()).isFalse();
    }

    @Test
    void record_failures_countAsBadEvents() {
        tracker.configure(Map.of("acme", List.of(TTFT, E2E)));
        tracker.record("acme", new RequestOutcome.Failed(true));
        tracker.record("acme", new RequestOutcome.Failed(true));
        assertThat(List.of(events("acme", "ttft_500ms", "bad"), events("acme", "e2e_10s", "bad")))
                .containsExactly(2.0, 2.0);
    }

    @Test
    void record_oneRequest_isClassifiedPerSlo() {
        tracker.configure(Map.of("acme", List.of(TTFT, E2E)));
        tracker.record("acme", RequestOutcome.Completed.generation(Duration.ofSeconds(1), Duration.ofSeconds(5)));
        assertThat(List.of(events("acme", "ttft_500ms", "bad"), events("acme", "e2e_10s", "good")))
                .containsExactly(1.0, 1.0);
    }

    @Test
    void record_tenantWithoutSlos_registersNothing() {
        tracker.configure(Map.of("acme", List.of(TTFT)));
        tracker.record("stranger", new RequestOutcome.Failed(true));
        assertThat(registry.find("fairlane.slo.events").tag("tenant", "stranger").meters()).isEmpty();
    }

    @Test
    void configure_exportsObjective() {
        tracker.configure(Map.of("acme", List.of(TTFT)));
        assertThat(registry.get("fairlane.slo.objective").tags("tenant", "acme", "slo", "ttft_500ms").gauge().value())
                .isEqualTo(0.99);
    }

    @Test
    void configure_registersEveryWindowBeforeTheFirstRequest() {
        tracker.configure(Map.of("acme", List.of(TTFT)));
        assertThat(registry.find("fairlane.slo.burn.rate").tag("tenant", "acme").gauges())
                .extracting(g -> g.getId().getTag("window"))
                .containsExactlyInAnyOrder("5m", "30m", "1h", "6h");
    }

    @Test
    void configure_unchangedSlo_keepsItsHistory() {
        tracker.configure(Map.of("acme", List.of(TTFT)));
        traffic("acme", Duration.ofMinutes(1), Duration.ofSeconds(1));
        tracker.configure(Map.of("acme", List.of(TTFT), "beta", List.of(E2E)));
        assertThat(tracker.status("acme").getFirst().windows().getFirst().bad()).isEqualTo(60);
    }

    @Test
    void configure_changedThresholdUnderSameName_startsAfresh() {
        tracker.configure(Map.of("acme", List.of(TTFT)));
        traffic("acme", Duration.ofMinutes(1), Duration.ofSeconds(1));
        SloSpec stricter = SloSpec.parse("ttft <= 200ms for 99%").withName("ttft_500ms");
        tracker.configure(Map.of("acme", List.of(stricter)));
        assertThat(burnGauge("acme", "ttft_500ms", "5m")).isZero();
    }

    @Test
    void configure_removedTenant_losesItsMeters() {
        tracker.configure(Map.of("acme", List.of(TTFT), "beta", List.of(TTFT)));
        tracker.configure(Map.of("beta", List.of(TTFT)));
        assertThat(registry.find("fairlane.slo.burn.rate").tag("tenant", "acme").meters()).isEmpty();
    }

    @Test
    void configure_duplicateSloNames_isRejected() {
        assertThatThrownBy(() -> tracker.configure(Map.of("acme", List.of(TTFT, TTFT))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("two SLOs named ttft_500ms");
    }

    @Test
    void prometheusScrape_rendersTheNamesTheRulesQuery() {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        SloTracker exported = new SloTracker(prometheus, ticker);
        exported.configure(Map.of("acme", List.of(TTFT)));
        exported.record("acme", new RequestOutcome.Failed(true));
        assertThat(prometheus.scrape()).contains(
                "fairlane_slo_events_total{outcome=\"bad\",slo=\"ttft_500ms\",tenant=\"acme\"} 1.0",
                "fairlane_slo_objective{slo=\"ttft_500ms\",tenant=\"acme\"} 0.99",
                "fairlane_slo_burn_rate{slo=\"ttft_500ms\",tenant=\"acme\",window=\"5m\"} 100.0");
    }
}
