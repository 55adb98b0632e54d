package io.fairlane.gateway.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.scheduler.Policy;
import io.fairlane.scheduler.SchedulerSnapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Scheduler gauges follow a lane across reloads that rebuild its backend. */
class LaneMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final GatewayMetrics metrics = new GatewayMetrics(registry, List.of(Duration.ofSeconds(1)));

    @AfterEach
    void close() {
        metrics.close();
    }

    private static SchedulerSnapshot queued(int requests) {
        return new SchedulerSnapshot(new Policy.Fcfs(),
                Map.of("t", new SchedulerSnapshot.TenantState(requests, 10L * requests, 0, 0, 0)));
    }

    private double depth() {
        return registry.get("fairlane.scheduler.queue.depth").tags("tenant", "t", "lane", "up").gauge().value();
    }

    @Test
    void queueDepth_readsTheSchedulerThatAttachedItself() {
        LaneMetrics lane = metrics.lane("up");
        lane.attach(() -> queued(3));

        assertThat(depth()).isEqualTo(3);
    }

    @Test
    void queueDepth_afterTheLaneIsRebuilt_readsTheNewScheduler() {
        LaneMetrics old = metrics.lane("up");
        old.attach(() -> queued(3));
        LaneMetrics rebuilt = metrics.lane("up");
        rebuilt.attach(() -> queued(5));
        old.close();

        assertThat(depth()).isEqualTo(5);
    }

    @Test
    void queueDepth_afterTheLaneIsRemoved_readsZero() {
        LaneMetrics lane = metrics.lane("up");
        lane.attach(() -> queued(3));
        lane.close();

        assertThat(depth()).isZero();
    }

    @Test
    void bindScheduler_afterAttach_keepsTheAttachedScheduler() {
        LaneMetrics lane = metrics.lane("up");
        lane.attach(() -> queued(3));
        lane.bindScheduler(() -> queued(7));

        assertThat(depth()).isEqualTo(3);
    }
}
