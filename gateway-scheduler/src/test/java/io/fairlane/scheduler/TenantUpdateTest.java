package io.fairlane.scheduler;

import static io.fairlane.scheduler.Schedulers.cost;
import static io.fairlane.scheduler.Schedulers.queue;
import static io.fairlane.scheduler.Schedulers.serveAndComplete;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class TenantUpdateTest {

    private final ManualTicker ticker = new ManualTicker();

    @Test
    void updateTenants_removedTenant_keepsItsQueuedWork() {
        var s = Schedulers.create(new Policy.DeficitRoundRobin(100), ticker, TenantSpec.of("a", 1));
        queue(s, "a", "a0", cost(10, 10));
        s.updateTenants(List.of(TenantSpec.of("b", 1)));

        assertThat(Schedulers.drain(s)).containsExactly("a0");
    }

    @Test
    void updateTenants_removedTenant_cannotOfferMore() {
        var s = Schedulers.create(new Policy.DeficitRoundRobin(100), ticker, TenantSpec.of("a", 1));
        s.updateTenants(List.of(TenantSpec.of("b", 1)));

        assertThat(s.offer("a", "a0", cost(1, 1), ServiceTier.DEFAULT)).isInstanceOfSatisfying(
                Admission.Rejected.class, r -> assertThat(r.reason()).isEqualTo(Admission.Reason.UNKNOWN_TENANT));
    }

    @Test
    void updateTenants_weightRaisedWhileBacklogged_takesEffect() {
        var s = Schedulers.create(new Policy.DeficitRoundRobin(100), ticker, TenantSpec.of("a", 1),
                TenantSpec.of("b", 1));
        for (int i = 0; i < 40; i++) {
            queue(s, "a", "a" + i, cost(100, 0));
            queue(s, "b", "b" + i, cost(100, 0));
        }
        serveAndComplete(s, 4);
        s.updateTenants(List.of(TenantSpec.of("a", 3), TenantSpec.of("b", 1)));

        assertThat(Collections.frequency(serveAndComplete(s, 20), "a")).isEqualTo(15);
    }

    @Test
    void updateTenants_duplicateId_isRefused() {
        var s = Schedulers.create(new Policy.Fcfs(), ticker, TenantSpec.of("a", 1));

        assertThatThrownBy(() -> s.updateTenants(List.of(TenantSpec.of("a", 1), TenantSpec.of("a", 2))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a");
    }
}
