package io.fairlane.gateway.lane.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.config.RoutingConfig;
import io.fairlane.gateway.config.RoutingConfig.Breaker;
import io.fairlane.gateway.config.RoutingConfig.Group;
import io.fairlane.gateway.config.RoutingConfig.OutputLimits;
import io.fairlane.gateway.config.RoutingConfig.Retry;
import io.fairlane.gateway.config.RoutingConfig.Saturation;
import io.fairlane.gateway.config.UpstreamModelConfig.Target;
import io.fairlane.gateway.config.UpstreamModelConfig.Timeouts;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Placement, spill, breaker, throttling and retry budget of {@link ModelRouter}, on a manual clock. */
class ModelRouterTest {

    private final AtomicLong clock = new AtomicLong(1_000_000_000_000L);
    private final List<String> events = new ArrayList<>();

    static Target target(String name, int weight, int max) {
        return target(name, weight, max, 0);
    }

    static Target target(String name, int weight, int max, long context) {
        return new Target(name, URI.create("http://" + name + ".example/v1"), Optional.empty(), Optional.empty(),
                weight, max, Timeouts.DEFAULT, context);
    }

    static Group group(String name, Saturation saturation, Target... targets) {
        return new Group(name, List.of(targets), saturation);
    }

    private ModelRouter router(Breaker breaker, Retry retry, List<String> fallbacks, Group... groups) {
        RoutingConfig c = new RoutingConfig(List.of(groups), retry, breaker, fallbacks, Optional.empty(),
                OutputLimits.DEFAULT);
        return new ModelRouter("m", c, Map.of(), List.of(), new ModelRouter.Listener() {
            @Override
            public void spilled(String fromGroup, String toGroup, String reason) {
                events.add("spill " + fromGroup + "->" + toGroup + " " + reason);
            }

            @Override
            public void breaker(Target target, TargetState.Verdict verdict) {
                events.add(target.name() + " " + verdict.getClass().getSimpleName());
            }
        }, clock::get, new Random(7));
    }

    private ModelRouter router(Group... groups) {
        return router(Breaker.DEFAULT, Retry.defaults(3), List.of(), groups);
    }

    private static ModelRouter.Route sent(ModelRouter.Placement p) {
        assertThat(p).isInstanceOf(ModelRouter.Send.class);
        return ((ModelRouter.Send) p).route();
    }

    private static ModelRouter.Request first() {
        return ModelRouter.Request.first(10, 0);
    }

    private void advance(Duration d) {
        clock.addAndGet(d.toNanos());
    }

    @Test
    void place_tenThousandRequests_sharesMatchTheWeightsByChiSquare() {
        ModelRouter r = router(group("g", Saturation.NONE, target("a", 1, 100_000), target("b", 2, 100_000),
                target("c", 5, 100_000)));
        Map<String, Integer> counts = new LinkedHashMap<>(Map.of("a", 0, "b", 0, "c", 0));
        for (int i = 0; i < 10_000; i++) {
            ModelRouter.Route route = sent(r.place(first()));
            counts.merge(route.target().name(), 1, Integer::sum);
            r.release(route);
        }
        double chi2 = 0;
        Map<String, Double> expected = Map.of("a", 10_000 / 8.0, "b", 10_000 * 2 / 8.0, "c", 10_000 * 5 / 8.0);
        for (var e : counts.entrySet()) {
            double d = e.getValue() - expected.get(e.getKey());
            chi2 += d * d / expected.get(e.getKey());
        }

        // Two degrees of freedom: p > 0.01 exactly when the statistic is below 9.210.
        assertThat(chi2).as("chi-square of %s", counts).isLessThan(9.210);
    }

    @Test
    void place_firstGroupHasRoom_staysInIt() {
        ModelRouter r = router(group("primary", Saturation.NONE, target("p", 1, 4)),
                group("fallback", Saturation.NONE, target("f", 1, 4)));

        assertThat(sent(r.place(first())).target().name()).isEqualTo("p");
    }

    @Test
    void place_fullGroupWithoutThresholds_waitsInsteadOfSpilling() {
        ModelRouter r = router(group("primary", Saturation.NONE, target("p", 1, 1)),
                group("fallback", Saturation.NONE, target("f", 1, 4)));
        sent(r.place(first()));

        assertThat(r.place(first())).isInstanceOf(ModelRouter.Wait.class);
    }

    @Test
    void place_groupPastItsInFlightThreshold_spillsToTheNext() {
        Saturation sat = new Saturation(1, Optional.empty(), Optional.empty(), Duration.ofSeconds(60), 20);
        ModelRouter r = router(group("primary", sat, target("p", 1, 4)),
                group("fallback", Saturation.NONE, target("f", 1, 4)));
        sent(r.place(first()));

        assertThat(sent(r.place(first())).target().name()).isEqualTo("f");
        assertThat(events).containsExactly("spill primary->fallback in_flight");
    }

    @Test
    void place_requestWaitedPastQueueWait_spillsToTheNext() {
        Saturation sat = new Saturation(0, Optional.of(Duration.ofMillis(500)), Optional.empty(),
                Duration.ofSeconds(60), 20);
        ModelRouter r = router(group("primary", sat, target("p", 1, 1)),
                group("fallback", Saturation.NONE, target("f", 1, 4)));
        sent(r.place(first()));

        assertThat(r.place(ModelRouter.Request.first(10, Duration.ofMillis(100).toNanos())))
                .isInstanceOf(ModelRouter.Wait.class);
        assertThat(sent(r.place(ModelRouter.Request.first(10, Duration.ofMillis(600).toNanos()))).target().name())
                .isEqualTo("f");
    }

    @Test
    void place_slowTtftOverTheWindow_spillsToTheNext() {
        Saturation sat = new Saturation(0, Optional.empty(), Optional.of(Duration.ofMillis(200)),
                Duration.ofSeconds(60), 3);
        ModelRouter r = router(group("primary", sat, target("p", 1, 10)),
                group("fallback", Saturation.NONE, target("f", 1, 10)));
        for (int i = 0; i < 3; i++) {
            ModelRouter.Route route = sent(r.place(first()));
            r.record(route, Outcome.OK, Duration.ofMillis(400).toNanos(), -1);
            r.release(route);
        }
        advance(Duration.ofMillis(200));

        assertThat(sent(r.place(first())).target().name()).isEqualTo("f");
    }

    @Test
    void place_everyGroupSaturated_usesTheBestGroupWithAFreeSlot() {
        Saturation sat = new Saturation(1, Optional.empty(), Optional.empty(), Duration.ofSeconds(60), 20);
        ModelRouter r = router(group("primary", sat, target("p", 1, 4)), group("fallback", sat, target("f", 1, 4)));
        sent(r.place(first()));
        sent(r.place(first()));

        assertThat(sent(r.place(first())).target().name()).isEqualTo("p");
    }

    @Test
    void place_retry_neverWaitsForAFullGroup() {
        ModelRouter r = router(group("primary", Saturation.NONE, target("p", 1, 1)),
                group("fallback", Saturation.NONE, target("f", 1, 1)));
        sent(r.place(first()));
        ModelRouter.Request retry = new ModelRouter.Request(10, Set.of("x"), 0, true);

        assertThat(sent(r.place(retry)).target().name()).isEqualTo("f");
        assertThat(r.place(retry)).isInstanceOf(ModelRouter.Wait.class);
    }

    @Test
    void place_promptLongerThanATargetsWindow_goesToOneThatFits() {
        ModelRouter r = router(group("g", Saturation.NONE, target("small", 100, 10, 1000), target("big", 1, 10, 100_000)));

        assertThat(sent(r.place(ModelRouter.Request.first(5000, 0))).target().name()).isEqualTo("big");
    }

    @Test
    void placeContextFallback_givesTheNamedTargetNotTriedYet() {
        ModelRouter r = router(Breaker.DEFAULT, Retry.defaults(2), List.of("big"),
                group("g", Saturation.NONE, target("small", 1, 10)), group("b", Saturation.NONE, target("big", 0, 10)));

        assertThat(r.placeContextFallback(new ModelRouter.Request(10, Set.of("small"), 0, true)))
                .map(x -> x.target().name()).contains("big");
    }

    @Test
    void record_consecutiveFailures_ejectTheTargetAndTrafficMovesOn() {
        ModelRouter r = router(group("primary", Saturation.NONE, target("p", 1, 10)),
                group("fallback", Saturation.NONE, target("f", 1, 10)));
        for (int i = 0; i < 5; i++) {
            ModelRouter.Route route = sent(r.place(first()));
            r.record(route, Outcome.HTTP_5XX, -1, -1);
            r.release(route);
        }

        assertThat(events).containsExactly("p Ejected");
        assertThat(sent(r.place(first())).target().name()).isEqualTo("f");
    }

    @Test
    void record_oneTimeout_ejectsWithTheDefaultBreaker() {
        ModelRouter r = router(group("primary", Saturation.NONE, target("p", 1, 10)),
                group("fallback", Saturation.NONE, target("f", 1, 10)));
        ModelRouter.Route route = sent(r.place(first()));
        r.record(route, Outcome.TIMEOUT, -1, -1);
        r.release(route);

        assertThat(events).containsExactly("p Ejected");
    }

    @Test
    void ejection_afterItsCoolDown_letsOneProbeThroughAndASuccessRestores() {
        ModelRouter r = router(group("primary", Saturation.NONE, target("p", 1, 10)),
                group("fallback", Saturation.NONE, target("f", 1, 10)));
        ModelRouter.Route failed = sent(r.place(first()));
        r.record(failed, Outcome.TIMEOUT, -1, -1);
        r.release(failed);
        advance(Breaker.DEFAULT.ejection().plusMillis(1));

        ModelRouter.Route probe = sent(r.place(first()));
        ModelRouter.Route next = sent(r.place(first()));
        r.record(probe, Outcome.OK, -1, -1);

        assertThat(probe.target().name() + " " + probe.probe()).isEqualTo("p true");
        assertThat(next.target().name()).isEqualTo("f");
        assertThat(events).containsExactly("p Ejected", "p Restored");
    }

    @Test
    void ejection_failedProbe_ejectsAgainForTwiceAsLong() {
        ModelRouter r = router(group("primary", Saturation.NONE, target("p", 1, 10)),
                group("fallback", Saturation.NONE, target("f", 1, 10)));
        ModelRouter.Route failed = sent(r.place(first()));
        r.record(failed, Outcome.TIMEOUT, -1, -1);
        r.release(failed);
        long first = failed.state().ejectedFor(clock.get());
        advance(Breaker.DEFAULT.ejection().plusMillis(1));
        ModelRouter.Route probe = sent(r.place(first()));
        r.record(probe, Outcome.RESET, -1, -1);

        assertThat(probe.state().ejectedFor(clock.get())).isEqualTo(2 * first);
    }

    @Test
    void record_lastUsableTargetFailing_isKeptInServiceAndSaysSo() {
        ModelRouter r = router(group("only", Saturation.NONE, target("o", 1, 10)));
        for (int i = 0; i < 6; i++) {
            ModelRouter.Route route = sent(r.place(first()));
            r.record(route, Outcome.CONNECT_ERROR, -1, -1);
            r.release(route);
        }

        assertThat(events).containsExactly("o KeptAsLast");
        assertThat(r.snapshot().groups().getFirst().targets().getFirst().state()).isEqualTo("failing");
        assertThat(sent(r.place(first())).target().name()).isEqualTo("o");
    }

    @Test
    void record_clientCausedOutcomes_leaveTheBreakerAlone() {
        ModelRouter r = router(group("primary", Saturation.NONE, target("p", 1, 10)),
                group("fallback", Saturation.NONE, target("f", 1, 10)));
        for (int i = 0; i < 10; i++) {
            ModelRouter.Route route = sent(r.place(first()));
            r.record(route, i % 2 == 0 ? Outcome.SLOW_CLIENT : Outcome.CANCELLED, -1, -1);
            r.release(route);
        }

        assertThat(events).isEmpty();
        assertThat(r.snapshot().groups().getFirst().targets().getFirst().consecutiveFailures()).isZero();
    }

    @Test
    void record_429WithRetryAfter_throttlesTheTargetUntilThen() {
        ModelRouter r = router(group("primary", Saturation.NONE, target("p", 1, 10)),
                group("fallback", Saturation.NONE, target("f", 1, 10)));
        ModelRouter.Route route = sent(r.place(first()));
        r.record(route, Outcome.HTTP_429, -1, Duration.ofSeconds(3).toNanos());
        r.release(route);

        assertThat(sent(r.place(first())).target().name()).isEqualTo("f");
        advance(Duration.ofMillis(3001));
        assertThat(sent(r.place(first())).target().name()).isEqualTo("p");
    }

    @Test
    void throttledFor_everyTargetThrottled_isTheShortestWait() {
        ModelRouter r = router(group("g", Saturation.NONE, target("a", 1, 10), target("b", 1, 10)));
        ModelRouter.Route a = new ModelRouter.Route(target("a", 1, 10), 0, r.states().get("a"), false);
        ModelRouter.Route b = new ModelRouter.Route(target("b", 1, 10), 0, r.states().get("b"), false);
        r.record(a, Outcome.HTTP_429, -1, Duration.ofSeconds(5).toNanos());
        r.record(b, Outcome.HTTP_429, -1, Duration.ofSeconds(9).toNanos());

        assertThat(r.throttledFor()).isEqualTo(Duration.ofSeconds(5).toNanos());
    }

    @Test
    void tryRetry_beyondTheBudget_isRefused() {
        Retry retry = new Retry(Retry.DEFAULT_STATUSES, 3, 0.1, 0, Duration.ofSeconds(1));
        ModelRouter r = router(Breaker.DEFAULT, retry, List.of(), group("g", Saturation.NONE, target("a", 1, 10)));
        for (int i = 0; i < 50; i++) {
            r.requestStarted();
        }
        int allowed = 0;
        for (int i = 0; i < 20; i++) {
            allowed += r.tryRetry() ? 1 : 0;
        }

        assertThat(allowed).isEqualTo(5);
    }

    @Test
    void newRouter_forTheSameEndpoint_inheritsItsEjection() {
        ModelRouter r = router(group("primary", Saturation.NONE, target("p", 1, 10)),
                group("fallback", Saturation.NONE, target("f", 1, 10)));
        ModelRouter.Route route = sent(r.place(first()));
        r.record(route, Outcome.TIMEOUT, -1, -1);
        r.release(route);

        RoutingConfig c = r.config();
        ModelRouter next = new ModelRouter("m", c, r.states(), c.targets(), ModelRouter.Listener.NONE, clock::get,
                new Random(1));

        assertThat(sent(next.place(first())).target().name()).isEqualTo("f");
    }

    @Test
    void place_reservesSlotsSoAConcurrentLimitIsNeverExceeded() throws Exception {
        ModelRouter r = router(group("g", Saturation.NONE, target("a", 1, 3)));
        List<Thread> threads = new ArrayList<>();
        AtomicLong sent = new AtomicLong();
        for (int i = 0; i < 8; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int k = 0; k < 200; k++) {
                    if (r.place(first()) instanceof ModelRouter.Send) {
                        sent.incrementAndGet();
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }

        assertThat(sent.get()).isEqualTo(3);
        assertThat(r.states().get("a").inFlight()).isEqualTo(3);
    }
}
