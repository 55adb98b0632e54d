package io.fairlane.bench.routing;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;

/**
 * {@link RoutingDecisionBenchmark}'s decision timed in thread CPU time instead of wall time: on a machine shared with
 * other busy processes, CPU nanoseconds per decision stay meaningful where JMH's wall-clock averages swing with the
 * neighbours. One line per configuration; run JMH on a quiet machine for the record.
 */
public final class RoutingDecisionCpuCost {

    private RoutingDecisionCpuCost() {
    }

    public static void main(String[] args) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        System.out.println("| targets | groups | ejected | CPU ns per place + release (best of 5 x 1M) |");
        System.out.println("|---|---|---|---|");
        for (int targets : new int[] {10, 100}) {
            for (int groups : new int[] {1, 4}) {
                for (double ejected : new double[] {0, 0.5}) {
                    RoutingDecisionBenchmark b = new RoutingDecisionBenchmark();
                    b.targets = targets;
                    b.groups = groups;
                    b.ejected = ejected;
                    b.setUp();
                    for (int i = 0; i < 2_000_000; i++) {
                        b.placeAndRelease();
                    }
                    long best = Long.MAX_VALUE;
                    for (int round = 0; round < 5; round++) {
                        long cpu0 = threads.getCurrentThreadCpuTime();
                        int n = 1_000_000;
                        for (int i = 0; i < n; i++) {
                            b.placeAndRelease();
                        }
                        best = Math.min(best, (threads.getCurrentThreadCpuTime() - cpu0) / n);
                    }
                    System.out.printf(Locale.ROOT, "| %d | %d | %.1f | %d |%n", targets, groups, ejected, best);
                }
            }
        }
    }
}
