package io.fairlane.bench.routing;

import io.fairlane.gateway.config.RoutingConfig;
import io.fairlane.gateway.config.UpstreamModelConfig.Target;
import io.fairlane.gateway.config.UpstreamModelConfig.Timeouts;
import io.fairlane.gateway.lane.routing.ModelRouter;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one routing decision: {@code place} (walk the groups, classify every target: tried, drained, context
 * window, breaker phase, throttling, probe slots, in-flight against its limit and saturation threshold, cached
 * TTFT p99 against its threshold; pick by weight; reserve the slot by compare-and-set) and {@code release}, with
 * {@code targets} targets spread over {@code groups} groups, every group's saturation thresholds set, and the first
 * {@code ejected} share of the first group's targets ejected (so the walk does real work before it picks).
 *
 * <p>Run with {@code bench/routing/run.sh}; results in {@code docs/benchmarks.md}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class RoutingDecisionBenchmark {

    @Param({"10", "100"})
    public int targets;

    @Param({"1", "4"})
    public int groups;

    @Param({"0", "0.5"})
    public double ejected;

    private ModelRouter router;
    private final ModelRouter.Request request = ModelRouter.Request.first(1000, 0);

    @Setup
    public void setUp() {
        RoutingConfig.Saturation sat = new RoutingConfig.Saturation(1000, Optional.of(Duration.ofSeconds(1)),
                Optional.of(Duration.ofSeconds(2)), Duration.ofSeconds(60), 20);
        List<RoutingConfig.Group> gs = new ArrayList<>();
        int per = targets / groups;
        for (int g = 0; g < groups; g++) {
            List<Target> ts = new ArrayList<>();
            for (int i = 0; i < per; i++) {
                String name = "t" + g + "-" + i;
                ts.add(new Target(name, URI.create("http://" + name + ".example/v1"), Optional.empty(),
                        Optional.empty(), 1 + i % 5, 1_000_000, Timeouts.DEFAULT, 128_000));
            }
            gs.add(new RoutingConfig.Group("g" + g, ts, sat));
        }
        RoutingConfig config = new RoutingConfig(gs, RoutingConfig.Retry.defaults(targets),
                RoutingConfig.Breaker.DEFAULT, List.of(), Optional.empty(), RoutingConfig.OutputLimits.DEFAULT);
        router = new ModelRouter("m", config, Map.of(), List.of(), ModelRouter.Listener.NONE, System::nanoTime,
                ThreadLocalRandom.current());
        // Eject the first share of group 0 with timeouts (one timeout ejects with the default breaker).
        int eject = (int) (per * ejected);
        for (int i = 0; i < eject; i++) {
            Target t = gs.getFirst().targets().get(i);
            ModelRouter.Route r = new ModelRouter.Route(t, 0, router.states().get(t.name()), false);
            router.record(r, io.fairlane.gateway.lane.routing.Outcome.TIMEOUT, -1, -1);
        }
    }

    @Benchmark
    public ModelRouter.Route placeAndRelease() {
        ModelRouter.Route r = ((ModelRouter.Send) router.place(request)).route();
        router.release(r);
        return r;
    }
}
