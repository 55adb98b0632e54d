package io.fairlane.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.slo.SloIndicator;
import io.fairlane.gateway.slo.SloSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every SLO metric docs/operations.md documents is accepted in the structured form. */
class SloConfigTest {

    private final ConfigLoader loader = new ConfigLoader(Map.of("HOME", "/home/test"));

    private static String tenantWith(String slo) {
        return """
                tenants:
                  - id: t
                    api_keys: ["%s"]
                    slos:
                      - %s
                models:
                  - id: m
                    upstream: {url: "http://127.0.0.1:9000/v1"}
                """.formatted(ApiKeyHash.of("sk-t"), slo);
    }

    private SloSpec only(String slo) {
        return loader.parse(tenantWith(slo), "test").tenants().getFirst().slos().getFirst();
    }

    private List<String> errorPaths(String slo) {
        try {
            loader.parse(tenantWith(slo), "test");
        } catch (ConfigException e) {
            return e.errors().stream().map(ConfigError::path).toList();
        }
        throw new AssertionError("expected the configuration to be refused");
    }

    @Test
    void itlMetric_isTheInterTokenLatencyIndicator() {
        assertThat(only("{name: smooth, metric: itl, threshold: 50ms, objective: 0.95}")).isEqualTo(
                new SloSpec.Latency("smooth", SloIndicator.INTER_TOKEN_LATENCY, Duration.ofMillis(50), 0.95));
    }

    @Test
    void queueTimeMetric_isTheQueueTimeIndicator() {
        assertThat(only("{name: q, metric: queue_time, threshold: 1s, objective: 0.9}")).isEqualTo(
                new SloSpec.Latency("q", SloIndicator.QUEUE_TIME, Duration.ofSeconds(1), 0.9));
    }

    @Test
    void errorsMetric_isAnAvailabilitySlo() {
        assertThat(only("{name: errors, metric: errors, objective: 0.999}"))
                .isEqualTo(new SloSpec.Availability("errors", 0.999));
    }

    @Test
    void unknownMetric_isRefusedWithItsPath() {
        assertThat(errorPaths("{metric: tpot, threshold: 50ms, objective: 0.9}"))
                .containsExactly("tenants[0].slos[0].metric");
    }

    @Test
    void errorsMetricWithThreshold_isRefused() {
        assertThat(errorPaths("{metric: errors, threshold: 50ms, objective: 0.9}"))
                .containsExactly("tenants[0].slos[0].threshold");
    }

    @Test
    void itlWithoutThreshold_isRefused() {
        assertThat(errorPaths("{metric: itl, objective: 0.9}")).containsExactly("tenants[0].slos[0].threshold");
    }
}
