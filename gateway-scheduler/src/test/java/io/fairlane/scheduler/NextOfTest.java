package io.fairlane.scheduler;

import static io.fairlane.scheduler.Schedulers.cost;
import static io.fairlane.scheduler.Schedulers.drain;
import static io.fairlane.scheduler.Schedulers.queue;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code nextOf}: one tenant's first ticket out of the policy's order, for every policy. */
class NextOfTest {

    private final ManualTicker ticker = new ManualTicker();

    static Stream<Policy> policies() {
        return Stream.of(new Policy.Fcfs(), new Policy.DeficitRoundRobin(100), new Policy.VirtualTokenCounter(),
                new Policy.DeficitLongestPrefixMatch(100));
    }

    /** "heavy" queues three requests before "light" queues one: every policy would serve heavy first. */
    private TenantScheduler<String> heavyThenLight(Policy policy) {
        var s = Schedulers.create(policy, ticker, TenantSpec.of("heavy", 1), TenantSpec.of("light", 1));
        queue(s, "heavy", "h1", cost(10, 10));
        queue(s, "heavy", "h2", cost(10, 10));
        queue(s, "heavy", "h3", cost(10, 10));
        queue(s, "light", "l1", cost(10, 10));
        return s;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("policies")
    void nextOf_tenantBehindAnother_getsItsFirstTicket(Policy policy) {
        var s = heavyThenLight(policy);
        assertThat(s.nextOf("light", Capacity.unlimited()).orElseThrow().work()).isEqualTo("l1");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("policies")
    void nextOf_thenNext_restComesOutInThePolicysOrder(Policy policy) {
        var s = heavyThenLight(policy);
        s.nextOf("light", Capacity.unlimited());
        assertThat(drain(s)).containsExactly("h1", "h2", "h3");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("policies")
    void nextOf_dispatch_chargesTheTenantAsNextWould(Policy policy) {
        var s = heavyThenLight(policy);
        s.nextOf("light", Capacity.unlimited());
        double expected = policy instanceof Policy.DeficitRoundRobin ? 10 + 2 * 10 : 10;
        assertThat(s.snapshot().tenants().get("light").service()).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("policies")
    void nextOf_workDoesNotFit_isEmptyAndKeepsIt(Policy policy) {
        var s = heavyThenLight(policy);
        assertThat(List.of(s.nextOf("light", (w, e) -> false).isEmpty(), s.queued())).containsExactly(true, 4);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("policies")
    void nextOf_tenantWithNothingQueued_isEmpty(Policy policy) {
        var s = Schedulers.create(policy, ticker, TenantSpec.of("heavy", 1), TenantSpec.of("light", 1));
        queue(s, "heavy", "h1", cost(10, 10));
        assertThat(s.nextOf("light", Capacity.unlimited())).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("policies")
    void nextOf_onlyFlexQueued_isEmpty(Policy policy) {
        TenantSpec light = TenantSpec.of("light", 1).withTiers(EnumSet.of(ServiceTier.DEFAULT, ServiceTier.FLEX));
        var s = Schedulers.create(policy, ticker, TenantSpec.of("heavy", 1), light);
        queue(s, "light", "l1", cost(10, 10), ServiceTier.FLEX);
        assertThat(s.nextOf("light", Capacity.unlimited())).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("policies")
    void nextOf_tenantAtItsCap_isEmpty(Policy policy) {
        TenantSpec light = TenantSpec.of("light", 1).withMaxShare(0.25);
        var s = Schedulers.create(policy, ticker, TenantSpec.of("heavy", 1), light);
        queue(s, "light", "l1", cost(10, 10));
        queue(s, "light", "l2", cost(10, 10));
        Capacity<String> fourSlots = new Capacity<>() {
            @Override
            public boolean fits(String work, CostEstimate estimate) {
                return true;
            }

            @Override
            public int slots() {
                return 4;
            }
        };
        s.nextOf("light", fourSlots);
        assertThat(s.nextOf("light", fourSlots)).isEmpty();
    }
}
