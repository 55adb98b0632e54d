package io.fairlane.bench.scheduler;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;

/**
 * The benchmark's decision loop timed in thread CPU time instead of wall time: on a machine shared with
 * other busy processes, CPU nanoseconds per decision stay meaningful where JMH's wall-clock throughput
 * swings with the neighbours. Prints one line per policy and tenant count. A companion to
 * {@link SchedulerDecisionBenchmark}, not a replacement: run JMH on a quiet machine for the record.
 *
 * <p>{@code bench/scheduler/cpu-cost.sh [tenants...]} runs each policy in a JVM of its own, as JMH forks
 * do: in one JVM the first policy would find the JIT's call sites monomorphic and the later ones would not.
 *
 * <p>Arguments: a policy name, then tenant counts.
 */
public final class DecisionCpuCost {

    private DecisionCpuCost() {
    }

    public static void main(String[] args) {
        String only = args.length > 0 ? args[0] : null;
        int[] tenantCounts = args.length <= 1 ? new int[] {1_000, 10_000, 100_000}
                : java.util.Arrays.stream(args, 1, args.length).mapToInt(Integer::parseInt).toArray();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (int tenants : tenantCounts) {
            for (String policy : only != null ? new String[] {only} : new String[] {"FCFS", "DRR", "VTC", "DLPM"}) {
                SchedulerDecisionBenchmark b = new SchedulerDecisionBenchmark();
                b.policy = policy;
                b.tenants = tenants;
                b.perTenant = 10;
                b.setUp();
                for (int i = 0; i < 3_000_000; i++) {
                    b.decision();
                }
                long best = Long.MAX_VALUE;
                for (int round = 0; round < 5; round++) {
                    long cpu0 = threads.getCurrentThreadCpuTime();
                    int n = 1_000_000;
                    for (int i = 0; i < n; i++) {
                        b.decision();
                    }
                    best = Math.min(best, (threads.getCurrentThreadCpuTime() - cpu0) / n);
                }
                // next() alone: take half the queue out without settling anything.
                long bestNext = Long.MAX_VALUE;
                for (int round = 0; round < 3; round++) {
                    SchedulerDecisionBenchmark d = new SchedulerDecisionBenchmark();
                    d.policy = policy;
                    d.tenants = tenants;
                    d.perTenant = 10;
                    d.setUp();
                    int n = tenants * 5;
                    long cpu0 = threads.getCurrentThreadCpuTime();
                    for (int i = 0; i < n; i++) {
                        d.nextOnly();
                    }
                    bestNext = Math.min(bestNext, (threads.getCurrentThreadCpuTime() - cpu0) / n);
                }
                System.out.printf(Locale.ROOT, "%-5s tenants=%-7d queued=%-8d cycle %5d ns CPU (%.2fM/CPU-s)   "
                        + "next() alone %5d ns CPU (%.2fM/CPU-s)%n",
                        policy, tenants, tenants * 10, best, 1e3 / best, bestNext, 1e3 / bestNext);
            }
        }
    }
}
