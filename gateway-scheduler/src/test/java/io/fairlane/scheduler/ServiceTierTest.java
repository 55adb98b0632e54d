package io.fairlane.scheduler;

import static io.fairlane.scheduler.Schedulers.cost;
import static io.fairlane.scheduler.Schedulers.drain;
import static io.fairlane.scheduler.Schedulers.queue;
import static io.fairlane.scheduler.Schedulers.serveAndComplete;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collections;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class ServiceTierTest {

    private final ManualTicker ticker = new ManualTicker();
    private static final EnumSet<ServiceTier> ALL = EnumSet.allOf(ServiceTier.class);

    @Test
    void next_olderFlexWorkAndNewerDefaultWork_servesDefaultFirst() {
        var s = Schedulers.create(new Policy.VirtualTokenCounter(), ticker, TenantSpec.of("a", 1).withTiers(ALL),
                TenantSpec.of("b", 1).withTiers(ALL));
        queue(s, "a", "a-flex", cost(10, 10), ServiceTier.FLEX);
        queue(s, "b", "b-default", cost(10, 10), ServiceTier.DEFAULT);

        assertThat(drain(s)).containsExactly("b-default", "a-flex");
    }

    @Test
    void next_defaultWorkThatDoesNotFit_givesNoCapacityToFlex() {
        var s = Schedulers.create(new Policy.Fcfs(), ticker, TenantSpec.of("a", 1).withTiers(ALL));
        queue(s, "a", "big", cost(1000, 10), ServiceTier.DEFAULT);
        queue(s, "a", "small-flex", cost(10, 10), ServiceTier.FLEX);

        assertThat(s.next((w, e) -> e.promptTokens() < 100)).isEmpty();
    }

    @Test
    void next_onlyCappedTenantsHaveDefaultWork_servesFlex() {
        TenantSpec a = TenantSpec.of("a", 1).withTiers(ALL).withMaxShare(0.5);
        var s = Schedulers.create(new Policy.VirtualTokenCounter(), ticker, a, TenantSpec.of("b", 1).withTiers(ALL));
        Capacity<String> twoSlots = new Capacity<>() {
            @Override
            public boolean fits(String work, CostEstimate estimate) {
                return true;
            }

            @Override
            public int slots() {
                return 2;
            }
        };
        queue(s, "a", "a0", cost(10, 10));
        queue(s, "a", "a1", cost(10, 10));
        queue(s, "b", "b-flex", cost(10, 10), ServiceTier.FLEX);
        s.next(twoSlots); // a0 runs; a is now at its cap of one slot

        assertThat(s.next(twoSlots).orElseThrow().work()).isEqualTo("b-flex");
    }

    @Test
    void next_priorityFloodOfOneTenant_staysWithinItsShare() {
        var s = Schedulers.create(new Policy.VirtualTokenCounter(), ticker, TenantSpec.of("a", 1).withTiers(ALL),
                TenantSpec.of("b", 1));
        for (int i = 0; i < 20; i++) {
            queue(s, "a", "a" + i, cost(100, 0), ServiceTier.PRIORITY);
            queue(s, "b", "b" + i, cost(100, 0));
        }

        assertThat(Collections.frequency(serveAndComplete(s, 20), "a")).isEqualTo(10);
    }

    @Test
    void next_flexServiceWhileAlone_costsNoDefaultShareLater() {
        var s = Schedulers.create(new Policy.VirtualTokenCounter(), ticker, TenantSpec.of("a", 1).withTiers(ALL),
                TenantSpec.of("b", 1));
        for (int i = 0; i < 10; i++) {
            queue(s, "a", "a-flex" + i, cost(1000, 0), ServiceTier.FLEX);
        }
        serveAndComplete(s, 10);
        for (int i = 0; i < 10; i++) {
            queue(s, "a", "a" + i, cost(100, 0));
            queue(s, "b", "b" + i, cost(100, 0));
        }

        assertThat(Collections.frequency(serveAndComplete(s, 10), "a")).isEqualTo(5);
    }
}
