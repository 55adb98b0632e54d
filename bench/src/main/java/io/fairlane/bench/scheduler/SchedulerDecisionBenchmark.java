package io.fairlane.bench.scheduler;

import io.fairlane.scheduler.ActualCost;
import io.fairlane.scheduler.Capacity;
import io.fairlane.scheduler.CostEstimate;
import io.fairlane.scheduler.CostWeights;
import io.fairlane.scheduler.Policy;
import io.fairlane.scheduler.PrefixMatcher;
import io.fairlane.scheduler.SchedulerStats;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.TenantScheduler;
import io.fairlane.scheduler.TenantSchedulers;
import io.fairlane.scheduler.TenantSpec;
import io.fairlane.scheduler.Ticket;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one scheduling decision with many tenants and a deep queue: {@code next} picks a ticket,
 * the ticket is settled with {@code complete}, and a replacement is {@code offer}ed for the same tenant, so
 * the queue stays at {@code tenants × perTenant} and every tenant stays backlogged. Requests draw random
 * sizes, so VTC counters and DRR deficits keep reordering the heaps. Single-threaded: the scheduler's lock
 * is uncontended, as it is for an engine loop that owns dispatch.
 *
 * <p>Run with {@code bench/scheduler/jmh.sh}; results in {@code docs/benchmarks.md}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class SchedulerDecisionBenchmark {

    @Param({"FCFS", "DRR", "VTC", "DLPM"})
    public String policy;

    @Param({"10000"})
    public int tenants;

    @Param({"10"})
    public int perTenant;

    private TenantScheduler<Integer> scheduler;
    private final Capacity<Integer> room = Capacity.unlimited();
    private CostEstimate[] sizes;
    private ActualCost[] actuals;
    private int next;

    private static Policy policy(String name) {
        return switch (name) {
            case "FCFS" -> new Policy.Fcfs();
            case "DRR" -> new Policy.DeficitRoundRobin(2048);
            case "VTC" -> new Policy.VirtualTokenCounter();
            case "DLPM" -> new Policy.DeficitLongestPrefixMatch(2048);
            default -> throw new IllegalArgumentException("unknown policy " + name);
        };
    }

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom rnd = new SplittableRandom(42);
        List<TenantSpec> specs = new ArrayList<>();
        for (int i = 0; i < tenants; i++) {
            specs.add(TenantSpec.of("tenant-" + i, 1 + rnd.nextInt(4)).withQueueBounds(1_000_000, Long.MAX_VALUE));
        }
        // The work item is its tenant's index; the prefix matcher answers from it, cheaply.
        PrefixMatcher<Integer> matcher = w -> (w & 7) * 16;
        scheduler = TenantSchedulers.create(policy(policy), specs, CostWeights.DEFAULT, matcher, System::nanoTime,
                SchedulerStats.disabled());
        sizes = new CostEstimate[4096];
        actuals = new ActualCost[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            int prompt = 16 + rnd.nextInt(2048);
            int output = 1 + rnd.nextInt(512);
            sizes[i] = new CostEstimate(prompt, 0, output);
            actuals[i] = new ActualCost(prompt, Math.min(prompt, 64), rnd.nextInt(output + 1));
        }
        for (int t = 0; t < tenants; t++) {
            for (int k = 0; k < perTenant; k++) {
                scheduler.offer("tenant-" + t, t, sizes[next++ & (sizes.length - 1)], ServiceTier.DEFAULT);
            }
        }
    }

    /** Only the choice: {@code next} on a deep queue, without settling (for the drain measurement). */
    Ticket<Integer> nextOnly() {
        return scheduler.next(room).orElseThrow();
    }

    /** One decision, with its settlement and the replacement offer that keeps the queue at its depth. */
    @Benchmark
    public Ticket<Integer> decision() {
        Ticket<Integer> t = scheduler.next(room).orElseThrow();
        int i = next++ & (sizes.length - 1);
        scheduler.complete(t, actuals[i]);
        scheduler.offer(t.tenant(), t.work(), sizes[i], ServiceTier.DEFAULT);
        return t;
    }
}
