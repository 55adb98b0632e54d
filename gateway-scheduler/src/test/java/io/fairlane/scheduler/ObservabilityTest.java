package io.fairlane.scheduler;

import static io.fairlane.scheduler.Schedulers.cost;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class ObservabilityTest {

    private final ManualTicker ticker = new ManualTicker();
    private final List<String> events = new ArrayList<>();
    private final List<Supplier<SchedulerSnapshot>> attached = new ArrayList<>();

    private final SchedulerStats recording = new SchedulerStats() {
        @Override
        public void attach(Supplier<SchedulerSnapshot> snapshots) {
            attached.add(snapshots);
        }

        @Override
        public void recordQueued(String tenant, ServiceTier tier) {
            events.add("queued " + tenant + " " + tier.wireName());
        }

        @Override
        public void recordDispatched(String tenant, ServiceTier tier, long waitNanos) {
            events.add("dispatched " + tenant + " after " + waitNanos / 1_000_000 + "ms");
        }

        @Override
        public void recordRejected(String tenant, Admission.Reason reason) {
            events.add("rejected " + tenant + " " + reason);
        }

        @Override
        public void recordCancelled(String tenant) {
            events.add("cancelled " + tenant);
        }

        @Override
        public void recordCompleted(String tenant, double service) {
            events.add("completed " + tenant + " " + (long) service);
        }
    };

    private TenantScheduler<String> scheduler() {
        return TenantSchedulers.create(new Policy.VirtualTokenCounter(),
                List.of(TenantSpec.of("a", 1).withQueueBounds(1, 1000)), CostWeights.DEFAULT, PrefixMatcher.none(),
                ticker, recording);
    }

    @Test
    void lifeOfARequest_reportsEachEventInOrder() {
        var s = scheduler();
        s.offer("a", "a0", cost(10, 5), ServiceTier.DEFAULT);
        s.offer("a", "a1", cost(10, 5), ServiceTier.DEFAULT);
        ticker.advanceMillis(30);
        Ticket<String> t = s.next(Capacity.unlimited()).orElseThrow();
        s.complete(t, new ActualCost(10, 0, 5));

        assertThat(events).containsExactly("queued a default", "rejected a QUEUE_FULL", "dispatched a after 30ms",
                "completed a 20");
    }

    @Test
    void cancel_reportsCancelled() {
        var s = scheduler();
        Ticket<String> t = Schedulers.queue(s, "a", "a0", cost(10, 5));
        s.cancel(t, ActualCost.NONE);

        assertThat(events).endsWith("cancelled a");
    }

    @Test
    void snapshot_reportsQueueDepthAndOldestWait() {
        var s = scheduler();
        s.offer("a", "a0", cost(10, 5), ServiceTier.DEFAULT);
        ticker.advanceMillis(250);

        assertThat(s.snapshot().tenants().get("a")).extracting(SchedulerSnapshot.TenantState::queuedRequests,
                SchedulerSnapshot.TenantState::queuedTokens, SchedulerSnapshot.TenantState::oldestWaitNanos)
                .containsExactly(1, 15L, 250_000_000L);
    }

    @Test
    void snapshot_countsRejections() {
        var s = scheduler();
        s.offer("a", "a0", cost(10, 5), ServiceTier.DEFAULT);
        s.offer("a", "a1", cost(10, 5), ServiceTier.DEFAULT);
        s.offer("a", "a2", cost(10, 5), ServiceTier.PRIORITY);

        assertThat(s.snapshot().tenants().get("a").rejections()).isEqualTo(2);
    }

    @Test
    void create_attachesTheSchedulersSnapshotsToItsStats() {
        var s = scheduler();
        s.offer("a", "a0", cost(10, 5), ServiceTier.DEFAULT);

        assertThat(attached).singleElement().extracting(a -> a.get().tenants().get("a").queuedRequests())
                .isEqualTo(1);
    }
}
