package io.fairlane.scheduler;

import static io.fairlane.scheduler.Schedulers.cost;
import static io.fairlane.scheduler.Schedulers.drain;
import static io.fairlane.scheduler.Schedulers.queue;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class FcfsPolicyTest {

    private final ManualTicker ticker = new ManualTicker();

    @Test
    void next_workFromSeveralTenants_comesOutInArrivalOrder() {
        var s = Schedulers.create(new Policy.Fcfs(), ticker, TenantSpec.of("a", 1), TenantSpec.of("b", 1));
        queue(s, "a", "a1", cost(10, 10));
        queue(s, "b", "b1", cost(10, 10));
        queue(s, "a", "a2", cost(10, 10));
        queue(s, "b", "b2", cost(10, 10));

        assertThat(drain(s)).containsExactly("a1", "b1", "a2", "b2");
    }

    @Test
    void next_priorityWorkOfOneTenant_goesBeforeThatTenantsOlderDefaultWork() {
        TenantSpec a = TenantSpec.of("a", 1).withTiers(EnumSet.of(ServiceTier.DEFAULT, ServiceTier.PRIORITY));
        var s = Schedulers.create(new Policy.Fcfs(), ticker, a, TenantSpec.of("b", 1));
        queue(s, "b", "b1", cost(10, 10));
        queue(s, "a", "a1", cost(10, 10));
        queue(s, "a", "a2", cost(10, 10), ServiceTier.PRIORITY);

        assertThat(drain(s)).containsExactly("b1", "a2", "a1");
    }

    @Test
    void next_nothingQueued_isEmpty() {
        var s = Schedulers.create(new Policy.Fcfs(), ticker, TenantSpec.of("a", 1));

        assertThat(s.next(Capacity.unlimited())).isEmpty();
    }

    @Test
    void next_choiceDoesNotFit_isEmptyAndKeepsTheWork() {
        var s = Schedulers.create(new Policy.Fcfs(), ticker, TenantSpec.of("a", 1));
        queue(s, "a", "a1", cost(10, 10));

        assertThat(s.next((w, e) -> false)).isEmpty();
        assertThat(s.queued()).isEqualTo(1);
    }
}
