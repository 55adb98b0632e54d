package io.fairlane.scheduler;

import static io.fairlane.scheduler.Schedulers.cost;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LaneDispatcherTest {

    private final ManualTicker ticker = new ManualTicker();
    private final List<Ticket<String>> started = new CopyOnWriteArrayList<>();

    private LaneDispatcher<String> lane(int slots) {
        var s = Schedulers.create(new Policy.VirtualTokenCounter(), ticker, TenantSpec.of("noisy", 1),
                TenantSpec.of("calm", 1));
        return new LaneDispatcher<>(s, ConcurrencyCapacity.of(slots), started::add);
    }

    private static ActualCost used(Ticket<String> t) {
        return new ActualCost(t.estimate().promptTokens(), 0, t.estimate().maxOutputTokens());
    }

    @Test
    void submit_moreWorkThanSlots_startsOnlyAsManyAsSlots() {
        var lane = lane(4);
        for (int i = 0; i < 6; i++) {
            lane.submit("noisy", "n" + i, cost(10, 10), ServiceTier.DEFAULT);
        }

        assertThat(started).hasSize(4);
    }

    @Test
    void finished_runningTicket_startsTheNextQueued() {
        var lane = lane(1);
        lane.submit("noisy", "n0", cost(10, 10), ServiceTier.DEFAULT);
        lane.submit("noisy", "n1", cost(10, 10), ServiceTier.DEFAULT);
        lane.finished(started.getFirst(), used(started.getFirst()));

        assertThat(started).extracting(Ticket::work).containsExactly("n0", "n1");
    }

    @Test
    void cancel_runningTicket_freesItsSlotForTheNext() {
        var lane = lane(1);
        lane.submit("noisy", "n0", cost(10, 10), ServiceTier.DEFAULT);
        lane.submit("noisy", "n1", cost(10, 10), ServiceTier.DEFAULT);
        lane.cancel(started.getFirst(), ActualCost.NONE);

        assertThat(lane.running()).isEqualTo(1);
    }

    @Test
    void finished_noisyTenantFloodsTheLane_calmTenantTakesTheNextFreeSlot() {
        var lane = lane(4);
        for (int i = 0; i < 40; i++) {
            lane.submit("noisy", "n" + i, cost(10, 10), ServiceTier.DEFAULT);
        }
        lane.submit("calm", "c0", cost(10, 10), ServiceTier.DEFAULT);
        lane.finished(started.getFirst(), used(started.getFirst()));

        assertThat(started.getLast().work()).isEqualTo("c0");
    }

    @Test
    void pump_tokenRateHoldsWorkBack_timerStartsItOnceTokensRefill() throws Exception {
        var s = Schedulers.create(new Policy.VirtualTokenCounter(), ticker, TenantSpec.of("noisy", 1));
        CountDownLatch second = new CountDownLatch(2);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            var lane = new LaneDispatcher<>(s, ConcurrencyCapacity.of(4, 100, 1000, ticker),
                    t -> second.countDown(), timer, Duration.ofMillis(5));
            lane.submit("noisy", "n0", cost(500, 500), ServiceTier.DEFAULT);
            lane.submit("noisy", "n1", cost(500, 500), ServiceTier.DEFAULT);
            ticker.advanceMillis(10_000);

            assertThat(second.await(10, TimeUnit.SECONDS)).isTrue();
        } finally {
            timer.shutdownNow();
        }
    }

    @Test
    void submit_placementRefuses_workWaitsUntilItPlacesAndTheTimerLooksAgain() throws Exception {
        var s = Schedulers.create(new Policy.VirtualTokenCounter(), ticker, TenantSpec.of("noisy", 1));
        java.util.concurrent.atomic.AtomicBoolean open = new java.util.concurrent.atomic.AtomicBoolean();
        CountDownLatch startedOne = new CountDownLatch(1);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            Placement<String> placement = new Placement<>() {
                @Override
                public boolean tryPlace(String work, CostEstimate estimate) {
                    return open.get();
                }

                @Override
                public boolean changesWithTime() {
                    return true;
                }
            };
            var lane = new LaneDispatcher<>(s, ConcurrencyCapacity.of(4), placement, t -> startedOne.countDown(),
                    timer, Duration.ofMillis(5));
            lane.submit("noisy", "n0", cost(10, 10), ServiceTier.DEFAULT);
            assertThat(lane.running()).isZero();
            open.set(true);

            assertThat(startedOne.await(10, TimeUnit.SECONDS)).isTrue();
        } finally {
            timer.shutdownNow();
        }
    }
}
