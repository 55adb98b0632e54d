package io.fairlane.scheduler;

import static io.fairlane.scheduler.Schedulers.cost;
import static io.fairlane.scheduler.Schedulers.queue;
import static io.fairlane.scheduler.Schedulers.serveAndComplete;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeficitRoundRobinTest {

    private final ManualTicker ticker = new ManualTicker();

    @Test
    void next_equalWeights_interleavesTenantsRequestByRequest() {
        var s = Schedulers.create(new Policy.DeficitRoundRobin(200), ticker, TenantSpec.of("a", 1),
                TenantSpec.of("b", 1));
        for (int i = 0; i < 4; i++) {
            queue(s, "a", "a" + i, cost(100, 0));
            queue(s, "b", "b" + i, cost(100, 0));
        }

        assertThat(serveAndComplete(s, 8)).containsExactly("a", "b", "a", "b", "a", "b", "a", "b");
    }

    @Test
    void next_weightTwo_getsTwiceTheQuantumPerRound() {
        var s = Schedulers.create(new Policy.DeficitRoundRobin(200), ticker, TenantSpec.of("a", 2),
                TenantSpec.of("b", 1));
        for (int i = 0; i < 8; i++) {
            queue(s, "a", "a" + i, cost(100, 0));
            queue(s, "b", "b" + i, cost(100, 0));
        }

        List<String> round = serveAndComplete(s, 6);
        assertThat(Collections.frequency(round, "a")).isEqualTo(4);
    }

    @Test
    void next_lightTenantArrivingBehindABacklog_goesNextDespiteALargeQuantum() {
        var s = Schedulers.create(new Policy.DeficitRoundRobin(4096), ticker, TenantSpec.of("noisy", 1),
                TenantSpec.of("light", 1));
        for (int i = 0; i < 100; i++) {
            queue(s, "noisy", "n" + i, cost(40, 16));
        }
        serveAndComplete(s, 4);
        queue(s, "light", "l0", cost(40, 16));

        // The textbook order would serve the rest of noisy's quantum (about 50 requests) first.
        assertThat(serveAndComplete(s, 1)).containsExactly("light");
    }

    @Test
    void dispatch_drr_chargesWholeOutputEstimateUpFront() {
        var s = Schedulers.create(new Policy.DeficitRoundRobin(1000), ticker, TenantSpec.of("a", 1));
        queue(s, "a", "a0", cost(100, 50));
        queue(s, "a", "a1", cost(100, 50));
        s.next(Capacity.unlimited());

        assertThat(s.snapshot().tenants().get("a").balance()).isCloseTo(1000 - 100 - 2 * 50, within(1e-9));
    }

    @Test
    void complete_fewerOutputTokensThanEstimated_refundsTheDifference() {
        var s = Schedulers.create(new Policy.DeficitRoundRobin(1000), ticker, TenantSpec.of("a", 1));
        queue(s, "a", "a0", cost(100, 50));
        queue(s, "a", "a1", cost(100, 50));
        Ticket<String> t = s.next(Capacity.unlimited()).orElseThrow();
        s.complete(t, new ActualCost(100, 0, 10));

        assertThat(s.snapshot().tenants().get("a").balance()).isCloseTo(1000 - 100 - 2 * 10, within(1e-9));
    }

    @Test
    void offer_tenantIdleWhileOthersServed_bringsBackNoCredit() {
        var s = Schedulers.create(new Policy.DeficitRoundRobin(100), ticker, TenantSpec.of("a", 1),
                TenantSpec.of("b", 1));
        queue(s, "b", "b0", cost(100, 0));
        for (int i = 0; i < 20; i++) {
            queue(s, "a", "a" + i, cost(100, 0));
        }
        serveAndComplete(s, 12); // b's one request, then a alone for many rounds
        for (int i = 1; i < 10; i++) {
            queue(s, "b", "b" + i, cost(100, 0));
        }

        // Without banked credit b gets one quantum (one request) per round, like a: they alternate.
        List<String> order = serveAndComplete(s, 4);
        assertThat(Collections.frequency(order, "b")).isEqualTo(2);
    }
}
