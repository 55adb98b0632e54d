package io.fairlane.gateway.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A tenant's service-level objective: the share of requests that must be good.
 *
 * @param name      the SLO's name, unique within the tenant (a metric tag)
 * @param metric    what is measured
 * @param threshold for latency metrics, the most a good request may take (also a histogram bucket
 *                  boundary, so that good/bad counts are exact); {@link Duration#ZERO} for {@code errors}
 * @param objective the target share of good requests, in (0, 1)
 */
public record SloConfig(String name, Metric metric, Duration threshold, double objective) {

    public SloConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(threshold, "threshold");
        if (!(objective > 0 && objective < 1)) {
            throw new IllegalArgumentException("objective must be in (0, 1), was " + objective);
        }
    }

    /** What an SLO measures. */
    public enum Metric {
        /** Time to first token. */
        TTFT,
        /** Gap between consecutive output tokens. */
        ITL,
        /** Whole request, first byte in to last byte out. */
        E2E,
        /** Time waiting in the tenant scheduler. */
        QUEUE_TIME,
        /** Share of requests answered without a server-side error (5xx). */
        ERRORS;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public boolean isLatency() {
            return this != ERRORS;
        }

        public static Optional<Metric> fromWire(String s) {
            for (Metric m : values()) {
                if (m.wireName().equals(s)) {
                    return Optional.of(m);
                }
            }
            return Optional.empty();
        }
    }
}
