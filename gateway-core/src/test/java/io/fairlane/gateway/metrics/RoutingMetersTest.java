package io.fairlane.gateway.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A target's kept meters record into the same series as the per-call methods, created at first use only. */
class RoutingMetersTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final GatewayMetrics metrics = new GatewayMetrics(registry, List.of(Duration.ofSeconds(1)));

    @AfterEach
    void close() {
        metrics.close();
    }

    private double count(String name, String... tags) {
        Counter c = registry.find(name).tags(tags).counter();
        return c == null ? -1 : c.count();
    }

    @Test
    void targetMeters_createNoSeriesBeforeTheirFirstUse() {
        metrics.routing().target("m", "a");

        assertThat(registry.find("fairlane.routing.requests").meters()).isEmpty();
        assertThat(registry.find("fairlane.routing.tokens").meters()).isEmpty();
        assertThat(registry.find("fairlane.routing.attempts").meters()).isEmpty();
    }

    @Test
    void targetMeters_countIntoTheSeriesThePerCallMethodsUse() {
        RoutingMeters routing = metrics.routing();
        RoutingMeters.TargetMeters a = routing.target("m", "a");

        a.served("ok", 1);
        routing.served("m", "a", "ok", 2);
        a.served("error", 3);
        a.served("cancelled", 1);
        a.tokens(12, 0, 10);
        routing.tokens("m", "a", 3, 2, 1);

        assertThat(count("fairlane.routing.requests", "model", "m", "target", "a", "outcome", "ok")).isEqualTo(2);
        assertThat(count("fairlane.routing.requests", "model", "m", "target", "a", "outcome", "error")).isEqualTo(1);
        assertThat(count("fairlane.routing.requests", "model", "m", "target", "a", "outcome", "cancelled"))
                .isEqualTo(1);
        assertThat(registry.get("fairlane.routing.attempts").tags("model", "m").summary().count()).isEqualTo(4);
        assertThat(registry.get("fairlane.routing.attempts").tags("model", "m").summary().totalAmount())
                .isEqualTo(7);
        assertThat(count("fairlane.routing.tokens", "model", "m", "target", "a", "kind", "prompt")).isEqualTo(15);
        assertThat(count("fairlane.routing.tokens", "model", "m", "target", "a", "kind", "cached")).isEqualTo(2);
        assertThat(count("fairlane.routing.tokens", "model", "m", "target", "a", "kind", "completion")).isEqualTo(11);
    }

    @Test
    void targetMeters_addNoSeriesForZeroCounts() {
        metrics.routing().target("m", "a").tokens(5, 0, 0);

        assertThat(count("fairlane.routing.tokens", "model", "m", "target", "a", "kind", "prompt")).isEqualTo(5);
        assertThat(count("fairlane.routing.tokens", "model", "m", "target", "a", "kind", "cached")).isEqualTo(-1);
        assertThat(count("fairlane.routing.tokens", "model", "m", "target", "a", "kind", "completion")).isEqualTo(-1);
    }
}
