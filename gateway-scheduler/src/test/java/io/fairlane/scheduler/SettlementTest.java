package io.fairlane.scheduler;

import static io.fairlane.scheduler.Schedulers.cost;
import static io.fairlane.scheduler.Schedulers.queue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SettlementTest {

    private final ManualTicker ticker = new ManualTicker();

    private TenantScheduler<String> vtc() {
        return Schedulers.create(new Policy.VirtualTokenCounter(), ticker, TenantSpec.of("a", 1));
    }

    @Test
    void cancel_queuedTicket_removesItFromTheQueue() {
        var s = vtc();
        Ticket<String> t = queue(s, "a", "a0", cost(10, 10));
        s.cancel(t, ActualCost.NONE);

        assertThat(s.next(Capacity.unlimited())).isEmpty();
    }

    @Test
    void cancel_alreadyCancelled_returnsFalse() {
        var s = vtc();
        Ticket<String> t = queue(s, "a", "a0", cost(10, 10));
        s.cancel(t, ActualCost.NONE);

        assertThat(s.cancel(t, ActualCost.NONE)).isFalse();
    }

    @Test
    void cancel_runningTicket_settlesServiceAtWhatWasUsed() {
        var s = vtc();
        queue(s, "a", "a0", cost(100, 100));
        Ticket<String> t = s.next(Capacity.unlimited()).orElseThrow();
        s.progress(t, 30);
        s.cancel(t, new ActualCost(100, 0, 5));

        assertThat(s.snapshot().tenants().get("a").service()).isCloseTo(100 + 2 * 5, within(1e-9));
    }

    @Test
    void complete_afterCancel_changesNothing() {
        var s = vtc();
        queue(s, "a", "a0", cost(100, 100));
        Ticket<String> t = s.next(Capacity.unlimited()).orElseThrow();
        s.cancel(t, new ActualCost(100, 0, 5));
        s.complete(t, new ActualCost(100, 0, 100));

        assertThat(s.snapshot().tenants().get("a").service()).isCloseTo(110, within(1e-9));
    }

    @Test
    void complete_runningTicket_freesItsRunningSlot() {
        var s = vtc();
        queue(s, "a", "a0", cost(100, 100));
        Ticket<String> t = s.next(Capacity.unlimited()).orElseThrow();
        s.complete(t, new ActualCost(100, 0, 100));

        assertThat(s.snapshot().tenants().get("a").running()).isZero();
    }

    @Test
    void complete_queuedTicket_isRefused() {
        var s = vtc();
        Ticket<String> t = queue(s, "a", "a0", cost(100, 100));

        assertThatThrownBy(() -> s.complete(t, ActualCost.NONE)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void complete_ticketOfAnotherScheduler_isRefused() {
        var s = vtc();
        var other = vtc();
        queue(other, "a", "x", cost(1, 1));
        Ticket<String> foreign = other.next(Capacity.unlimited()).orElseThrow();

        assertThatThrownBy(() -> s.complete(foreign, ActualCost.NONE)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ticketToString_printsCountsNotWork() {
        var s = vtc();
        Ticket<String> t = queue(s, "a", "secret prompt text", cost(100, 100));

        assertThat(t.toString()).doesNotContain("secret").contains("promptTokens=100");
    }
}
