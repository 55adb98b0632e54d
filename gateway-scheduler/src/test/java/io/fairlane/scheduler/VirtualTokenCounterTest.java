package io.fairlane.scheduler;

import static io.fairlane.scheduler.Schedulers.cost;
import static io.fairlane.scheduler.Schedulers.drain;
import static io.fairlane.scheduler.Schedulers.queue;
import static io.fairlane.scheduler.Schedulers.serveAndComplete;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Collections;
import org.junit.jupiter.api.Test;

class VirtualTokenCounterTest {

    private final ManualTicker ticker = new ManualTicker();
    private final Policy vtc = new Policy.VirtualTokenCounter();

    @Test
    void next_backloggedTenantWithLessService_goesFirstEvenBehindOlderWork() {
        var s = Schedulers.create(vtc, ticker, TenantSpec.of("a", 1), TenantSpec.of("b", 1));
        queue(s, "a", "a1", cost(1000, 0));
        queue(s, "a", "a2", cost(10, 0));
        queue(s, "b", "b1", cost(10, 0));
        queue(s, "b", "b2", cost(10, 0));

        assertThat(drain(s)).containsExactly("a1", "b1", "b2", "a2");
    }

    @Test
    void dispatch_inputTokens_chargeCounterByWeight() {
        var s = Schedulers.create(vtc, ticker, TenantSpec.of("a", 4));
        queue(s, "a", "a1", cost(100, 50));
        s.next(Capacity.unlimited());

        assertThat(s.snapshot().tenants().get("a").balance()).isCloseTo(25.0, within(1e-9));
    }

    @Test
    void progress_outputTokens_chargeTwoUnitsEachByWeight() {
        var s = Schedulers.create(vtc, ticker, TenantSpec.of("a", 2));
        queue(s, "a", "a1", cost(0, 50));
        Ticket<String> t = s.next(Capacity.unlimited()).orElseThrow();
        s.progress(t, 10);

        assertThat(s.snapshot().tenants().get("a").balance()).isCloseTo(10.0, within(1e-9));
    }

    @Test
    void offer_tenantReturningFromIdle_isLiftedToSmallestQueuedCounter() {
        var s = Schedulers.create(vtc, ticker, TenantSpec.of("a", 1), TenantSpec.of("b", 1));
        for (int i = 0; i < 10; i++) {
            queue(s, "a", "a" + i, cost(100, 0));
        }
        serveAndComplete(s, 5); // a alone: its counter reaches 500 while b idles at 0
        queue(s, "b", "b0", cost(100, 0));

        assertThat(s.snapshot().tenants().get("b").balance()).isCloseTo(500.0, within(1e-9));
    }

    @Test
    void offer_tenantReturningToEmptyScheduler_isLiftedToLastTenantToLeave() {
        var s = Schedulers.create(vtc, ticker, TenantSpec.of("a", 1), TenantSpec.of("b", 1));
        queue(s, "a", "a0", cost(300, 0));
        serveAndComplete(s, 1);
        queue(s, "b", "b0", cost(100, 0));

        assertThat(s.snapshot().tenants().get("b").balance()).isCloseTo(300.0, within(1e-9));
    }

    @Test
    void next_backloggedTenantsWithWeightsTwoToOne_serveEqualRequestsTwoToOne() {
        var s = Schedulers.create(vtc, ticker, TenantSpec.of("a", 2), TenantSpec.of("b", 1));
        for (int i = 0; i < 60; i++) {
            queue(s, "a", "a" + i, cost(100, 0));
            queue(s, "b", "b" + i, cost(100, 0));
        }
        var served = serveAndComplete(s, 60);

        assertThat(Collections.frequency(served, "a")).isEqualTo(40);
    }
}
