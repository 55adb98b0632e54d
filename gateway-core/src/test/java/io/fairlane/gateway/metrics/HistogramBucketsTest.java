package io.fairlane.gateway.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.MetricsConfig;
import io.fairlane.gateway.config.TenantConfig;
import io.fairlane.gateway.slo.SloSpec;
import io.fairlane.scheduler.RateLimits;
import io.fairlane.scheduler.ServiceTier;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Latency histograms get a bucket boundary at every tenant's latency SLO threshold, whatever it measures. */
class HistogramBucketsTest {

    private static TenantConfig tenant(String id, String... slos) {
        return new TenantConfig(id, List.of(ApiKeyHash.of("sk-" + id)), 1, Set.of(ServiceTier.DEFAULT),
                OptionalDouble.empty(), 10, 10, RateLimits.NONE, Optional.empty(),
                java.util.Arrays.stream(slos).map(SloSpec::parse).toList());
    }

    private static final MetricsConfig COARSE = new MetricsConfig(true, "/metrics",
            List.of(Duration.ofMillis(100), Duration.ofSeconds(1)));

    @Test
    void buckets_includeEveryLatencySloThreshold() {
        List<Duration> buckets = GatewayMetrics.buckets(COARSE, List.of(
                tenant("a", "ttft <= 300ms for 99%", "itl <= 40ms for 95%"),
                tenant("b", "e2e <= 7s for 99%", "queue_time <= 2.5s for 90%")));
        assertThat(buckets).contains(Duration.ofMillis(300), Duration.ofMillis(40), Duration.ofSeconds(7),
                Duration.ofMillis(2500));
    }

    @Test
    void buckets_areSortedWithoutDuplicates() {
        List<Duration> buckets = GatewayMetrics.buckets(COARSE, List.of(tenant("a", "ttft <= 100ms for 99%"),
                tenant("b", "ttft <= 50ms for 99%")));
        assertThat(buckets).containsExactly(Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofSeconds(1));
    }

    @Test
    void missingBuckets_namesThresholdsAddedAfterStart() {
        GatewayMetrics metrics = new GatewayMetrics(new SimpleMeterRegistry(),
                GatewayMetrics.buckets(COARSE, List.of(tenant("a", "ttft <= 300ms for 99%"))));
        try {
            List<Duration> wanted = GatewayMetrics.buckets(COARSE, List.of(tenant("a", "ttft <= 300ms for 99%"),
                    tenant("b", "ttft <= 450ms for 99%")));
            assertThat(metrics.missingBuckets(wanted)).containsExactly(Duration.ofMillis(450));
        } finally {
            metrics.close();
        }
    }
}
