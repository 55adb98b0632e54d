package io.fairlane.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AffinityRingTest {

    private static AffinityRing ring(String... replicas) {
        AffinityRing r = new AffinityRing(0.25, 64);
        r.replicas(List.of(replicas));
        return r;
    }

    @Test
    void acquire_sameKeyUnderLoadBound_sticksToOneReplica() {
        AffinityRing r = ring("a", "b", "c");
        AffinityRing.Route first = r.acquire(42L);
        r.release(first.replica());

        for (int i = 0; i < 10; i++) {
            AffinityRing.Route again = r.acquire(42L);
            assertThat(again).isEqualTo(new AffinityRing.Route(first.replica(), AffinityRing.Reason.AFFINITY));
            r.release(again.replica());
        }
    }

    @Test
    void acquire_hotKeyBeyondItsReplicasBound_overflowsAndNoReplicaPassesTheBound() {
        AffinityRing r = ring("a", "b", "c");
        List<AffinityRing.Route> routes = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            routes.add(r.acquire(7L));
        }

        // ⌈1.25 · 30 / 3⌉ = 13: the hot key's replica takes up to its bound, then the rest spill.
        assertThat(List.of(r.inFlight("a"), r.inFlight("b"), r.inFlight("c"))).allMatch(n -> n <= 13);
        assertThat(routes.getFirst().reason()).isEqualTo(AffinityRing.Reason.AFFINITY);
        assertThat(routes).anyMatch(x -> x.reason() == AffinityRing.Reason.OVERFLOW);
        assertThat(r.inFlight(routes.getFirst().replica())).isGreaterThanOrEqualTo(10);
    }

    @Test
    void acquire_replicaUnhealthy_failsOverToAnotherAndComesBackAfter() {
        AffinityRing r = ring("a", "b", "c");
        String home = r.acquire(99L).replica();
        r.release(home);
        r.healthy(home, false);

        AffinityRing.Route failover = r.acquire(99L);
        r.release(failover.replica());
        r.healthy(home, true);

        assertThat(failover.replica()).isNotEqualTo(home);
        assertThat(failover.reason()).isEqualTo(AffinityRing.Reason.FAILOVER);
        assertThat(r.acquire(99L).replica()).isEqualTo(home);
    }

    @Test
    void replicas_oneRemoved_movesOnlyItsOwnKeys() {
        AffinityRing r = ring("a", "b", "c");
        Random random = new Random(1);
        Map<Long, String> before = new HashMap<>();
        for (int i = 0; i < 3000; i++) {
            long key = random.nextLong();
            String replica = r.acquire(key).replica();
            r.release(replica);
            before.put(key, replica);
        }
        r.replicas(List.of("a", "b"));

        before.forEach((key, replica) -> {
            String now = r.acquire(key).replica();
            r.release(now);
            if (!replica.equals("c")) {
                assertThat(now).isEqualTo(replica);
            }
        });
        assertThat(before.values().stream().filter("c"::equals).count()).isBetween(600L, 1400L);
    }

    @Test
    void acquire_noHealthyReplica_isNull() {
        AffinityRing r = ring("a");
        r.healthy("a", false);

        assertThat(r.acquire(1L)).isNull();
    }

    @Test
    void acquire_noKey_goesToTheLeastLoaded() {
        AffinityRing r = ring("a", "b");
        String busy = r.acquire(5L).replica();

        AffinityRing.Route route = r.acquire(null);

        assertThat(route.replica()).isNotEqualTo(busy);
        assertThat(route.reason()).isEqualTo(AffinityRing.Reason.LEAST_LOADED);
    }

    @Test
    void order_sameKey_sameHomeFirstAndEveryReplicaListedOnce() {
        AffinityRing r = ring("a", "b", "c");
        AffinityRing.Order o = r.order(42L, name -> 0);

        assertThat(o.home()).isEqualTo(o.order().getFirst());
        assertThat(o.order()).containsExactlyInAnyOrder("a", "b", "c");
        assertThat(r.order(42L, name -> 0)).isEqualTo(o);
    }

    @Test
    void order_homeAtItsBound_comesAfterTheReplicasWithin() {
        AffinityRing r = ring("a", "b", "c");
        String home = r.order(42L, name -> 0).home();
        // 12 in flight on the home, none elsewhere: bound ⌈1.25 · 13 / 3⌉ = 6.
        AffinityRing.Order o = r.order(42L, name -> name.equals(home) ? 12 : 0);

        assertThat(o.home()).isEqualTo(home);
        assertThat(o.order().getLast()).isEqualTo(home);
    }

    @Test
    void order_unhealthyHome_isTriedLast_andNoKeyMeansLeastLoadedFirst() {
        AffinityRing r = ring("a", "b", "c");
        String home = r.order(7L, name -> 0).home();
        r.healthy(home, false);

        assertThat(r.order(7L, name -> 0).order().getLast()).isEqualTo(home);
        Map<String, Integer> load = Map.of("a", 3, "b", 1, "c", 2);
        r.healthy(home, true);
        AffinityRing.Order none = r.order(null, load::get);
        assertThat(none.home()).isNull();
        assertThat(none.order()).containsExactly("b", "c", "a");
    }
}
