package io.fairlane.scheduler;

import static io.fairlane.scheduler.Schedulers.cost;
import static io.fairlane.scheduler.Schedulers.queue;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MaxShareTest {

    private final ManualTicker ticker = new ManualTicker();

    /** A lane with four slots that otherwise fits everything. */
    private static final Capacity<String> FOUR_SLOTS = new Capacity<>() {
        @Override
        public boolean fits(String work, CostEstimate estimate) {
            return true;
        }

        @Override
        public int slots() {
            return 4;
        }
    };

    private TenantScheduler<String> halfShareOfA(Policy policy) {
        return Schedulers.create(policy, ticker, TenantSpec.of("a", 1).withMaxShare(0.5), TenantSpec.of("b", 1));
    }

    @Test
    void next_tenantAtItsCapOnAnIdleLane_isNotDispatched() {
        var s = halfShareOfA(new Policy.DeficitRoundRobin(1000));
        for (int i = 0; i < 3; i++) {
            queue(s, "a", "a" + i, cost(10, 10));
        }
        s.next(FOUR_SLOTS);
        s.next(FOUR_SLOTS);

        assertThat(s.next(FOUR_SLOTS)).isEmpty();
    }

    @Test
    void complete_ticketOfCappedTenant_letsItsNextWorkRun() {
        var s = halfShareOfA(new Policy.VirtualTokenCounter());
        for (int i = 0; i < 3; i++) {
            queue(s, "a", "a" + i, cost(10, 10));
        }
        Ticket<String> first = s.next(FOUR_SLOTS).orElseThrow();
        s.next(FOUR_SLOTS);
        s.complete(first, new ActualCost(10, 0, 10));

        assertThat(s.next(FOUR_SLOTS).orElseThrow().work()).isEqualTo("a2");
    }

    @Test
    void next_cappedTenant_doesNotHoldBackOthers() {
        var s = halfShareOfA(new Policy.DeficitLongestPrefixMatch(1000));
        for (int i = 0; i < 3; i++) {
            queue(s, "a", "a" + i, cost(10, 10));
        }
        s.next(FOUR_SLOTS);
        s.next(FOUR_SLOTS);
        queue(s, "b", "b0", cost(10, 10));

        assertThat(s.next(FOUR_SLOTS).orElseThrow().work()).isEqualTo("b0");
    }

    @Test
    void next_capacityThatReportsNoSlots_appliesNoCap() {
        var s = halfShareOfA(new Policy.Fcfs());
        for (int i = 0; i < 3; i++) {
            queue(s, "a", "a" + i, cost(10, 10));
        }

        assertThat(Schedulers.drain(s)).hasSize(3);
    }
}
