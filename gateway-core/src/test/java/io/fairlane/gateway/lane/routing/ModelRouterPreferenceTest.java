package io.fairlane.gateway.lane.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.config.RoutingConfig;
import io.fairlane.gateway.config.RoutingConfig.Breaker;
import io.fairlane.gateway.config.RoutingConfig.OutputLimits;
import io.fairlane.gateway.config.RoutingConfig.Retry;
import io.fairlane.gateway.config.RoutingConfig.Saturation;
import io.fairlane.gateway.config.UpstreamModelConfig.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Placement in a request's preferred order (engine replicas), and the reason each placement is counted under. */
class ModelRouterPreferenceTest {

    private final List<String> routed = new ArrayList<>();

    private ModelRouter router(int slots) {
        List<Target> ts = List.of(ModelRouterTest.target("a", 1, slots), ModelRouterTest.target("b", 1, slots),
                ModelRouterTest.target("c", 1, slots));
        RoutingConfig c = new RoutingConfig(List.of(new RoutingConfig.Group("engines", ts, Saturation.NONE)),
                Retry.defaults(3), Breaker.DEFAULT, List.of(), Optional.empty(), OutputLimits.DEFAULT);
        return new ModelRouter("m", c, Map.of(), List.of(), new ModelRouter.Listener() {
            @Override
            public void routed(Target target, String reason) {
                routed.add(target.name() + " " + reason);
            }
        }, () -> 1_000_000_000L, new Random(1));
    }

    private static ModelRouter.Request first(ModelRouter.Preference p) {
        return ModelRouter.Request.first(10, 0).prefer(p);
    }

    private static String target(ModelRouter.Placement p) {
        return ((ModelRouter.Send) p).route().target().name();
    }

    @Test
    void preferredOrder_takesTheFirstWithAFreeSlot_countedAsAffinity() {
        ModelRouter r = router(4);
        for (int i = 0; i < 3; i++) {
            assertThat(target(r.place(first(new ModelRouter.Preference("b", List.of("b", "c", "a"), "affinity")))))
                    .isEqualTo("b");
        }
        assertThat(routed).containsOnly("b affinity");
    }

    @Test
    void homeFull_nextInOrder_countedAsOverflow() {
        ModelRouter r = router(1);
        ModelRouter.Preference p = new ModelRouter.Preference("b", List.of("b", "c", "a"), "affinity");
        r.place(first(p));

        assertThat(target(r.place(first(p)))).isEqualTo("c");
        assertThat(routed).containsExactly("b affinity", "c overflow");
    }

    @Test
    void homeOrderedLastByTheRing_countedAsOverflow_retryAsFailover_noKeyAsLeastLoaded() {
        ModelRouter r = router(4);
        assertThat(target(r.place(first(new ModelRouter.Preference("b", List.of("a", "c", "b"), "affinity")))))
                .isEqualTo("a");
        ModelRouter.Request retry = new ModelRouter.Request(10, Set.of("b"), 0, true)
                .prefer(new ModelRouter.Preference("b", List.of("b", "c", "a"), "affinity"));
        assertThat(target(r.place(retry))).isEqualTo("c");
        r.place(first(new ModelRouter.Preference(null, List.of("a", "b", "c"), "affinity")));
        r.place(first(new ModelRouter.Preference("c", List.of("c", "a", "b"), "round_robin")));

        assertThat(routed).containsExactly("a overflow", "c failover", "a least_loaded", "c round_robin");
    }

    @Test
    void withoutPreference_placementIsByWeightAndNotCounted() {
        ModelRouter r = router(4);
        assertThat(r.place(ModelRouter.Request.first(10, 0))).isInstanceOf(ModelRouter.Send.class);
        assertThat(routed).isEmpty();
    }
}
