package io.fairlane.gateway.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The Prometheus endpoint.
 *
 * @param enabled        whether {@code path} answers
 * @param path           where the text exposition is served
 * @param latencyBuckets histogram bucket boundaries of the latency timers; the tenants' SLO thresholds are
 *                       added to them so that every SLO can be read exactly from a bucket
 */
public record MetricsConfig(boolean enabled, String path, List<Duration> latencyBuckets) {

    public static final List<Duration> DEFAULT_BUCKETS = List.of(
            Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
            Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(120));

    public MetricsConfig {
        Objects.requireNonNull(path, "path");
        latencyBuckets = List.copyOf(latencyBuckets);
    }
}
