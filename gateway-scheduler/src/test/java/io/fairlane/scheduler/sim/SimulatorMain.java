package io.fairlane.scheduler.sim;

import io.fairlane.scheduler.Policy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Replays every scenario under FCFS, DRR, VTC and DLPM, prints a table per scenario and writes
 * {@code results.md} and PNG charts into the directory given as the first argument (default
 * {@code docs/scheduler}). Run it with {@code bench/scheduler/simulate.sh}.
 */
public final class SimulatorMain {

    /** Quantum of DRR, in service units: about one short request, so rounds stay short. */
    static final long DRR_QUANTUM = 512;
    /** Quantum of DLPM: larger, trading some fairness for locality (the paper sweeps 1k to 32k). */
    static final long DLPM_QUANTUM = 2048;

    private SimulatorMain() {
    }

    static List<Policy> policies() {
        return List.of(new Policy.Fcfs(), new Policy.DeficitRoundRobin(DRR_QUANTUM),
                new Policy.VirtualTokenCounter(), new Policy.DeficitLongestPrefixMatch(DLPM_QUANTUM));
    }

    public static void main(String[] args) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Path out = Path.of(args.length > 0 ? args[0] : "docs/scheduler");
        Files.createDirectories(out);
        StringBuilder md = new StringBuilder();
        md.append("# Scheduler simulator results\n\n")
                .append("Written by `bench/scheduler/simulate.sh` (`io.fairlane.scheduler.sim.SimulatorMain`); ")
                .append("see `docs/scheduler.md` for the model and how to read these numbers. DRR quantum ")
                .append(DRR_QUANTUM).append(", DLPM quantum ").append(DLPM_QUANTUM)
                .append(" service units; service = extend tokens × 1 + output tokens × 2.\n\n");
        for (Scenario s : Scenarios.all()) {
            List<RunResult> runs = new ArrayList<>();
            for (Policy p : policies()) {
                runs.add(Simulator.run(s, p));
            }
            RunResult.TenantResult solo = s.focusTenant() == null ? null
                    : Simulator.run(s.solo(s.focusTenant()), new Policy.Fcfs()).tenant(s.focusTenant());
            String table = Report.table(s, runs, solo);
            System.out.println("## " + s.title() + "\n\n" + table);
            md.append("## ").append(s.title()).append("\n\n").append(s.why()).append("\n\n")
                    .append(Report.loads(s)).append("\n").append(table).append("\n")
                    .append("![service over time](").append(s.name()).append("-service.png)\n")
                    .append("![TTFT CDF](").append(s.name()).append("-ttft.png)\n");
            Charts.serviceOverTime(s, runs, out.resolve(s.name() + "-service.png"));
            Charts.ttftCdf(s, runs, out.resolve(s.name() + "-ttft.png"));
            if (s.name().equals("overload")) {
                Charts.serviceDifference(s, runs, out.resolve("overload-difference.png"));
                md.append("![service difference](overload-difference.png)\n");
            }
            if (s.name().equals("shared-prefix")) {
                md.append("\n### DLPM quantum sweep on the shared-prefix workload\n\n").append(quantumSweep(s));
            }
            md.append("\n");
        }
        md.append(preemption());
        Files.writeString(out.resolve("results.md"), md.toString());
        System.out.println("wrote " + out.toAbsolutePath());
    }

    /** Fairness window of the simulated engine's preemption, as the engine's default. */
    static final double PREEMPTION_WINDOW = 1.0;

    /** The fair-share preemption scenario under every policy, with and without preemption, against its references. */
    static String preemption() {
        Scenario s = Scenarios.fairShareNeighbour();
        RunResult.TenantResult solo = Simulator.run(s.solo(Scenarios.LIGHT), new Policy.Fcfs())
                .tenant(Scenarios.LIGHT);
        // Heavy one slot short of the batch; light's rare second request in flight preempts rather than waits.
        RunResult.TenantResult width = Simulator.runPreemptive(s.withInFlight(Scenarios.HEAVY,
                s.engine().maxBatch() - 1, "width"), new Policy.Fcfs(), PREEMPTION_WINDOW).tenant(Scenarios.LIGHT);
        List<RunResult[]> runs = new ArrayList<>();
        for (Policy p : policies()) {
            runs.add(new RunResult[] {Simulator.run(s, p), Simulator.runPreemptive(s, p, PREEMPTION_WINDOW)});
        }
        String table = Report.preemptionTable(s, runs, solo, width);
        System.out.println("## " + s.title() + "\n\n" + table);
        return "## " + s.title() + "\n\n" + s.why() + "\n\n" + Report.loads(s) + "\n" + table + "\n";
    }

    /** DLPM's locality/fairness trade-off as its quantum grows, beside VTC. */
    private static String quantumSweep(Scenario s) {
        StringBuilder sb = new StringBuilder("| policy | quantum | tokens/s | cache hit | max service diff | Jain |\n"
                + "|---|---:|---:|---:|---:|---:|\n");
        List<Policy> sweep = new ArrayList<>(List.of(new Policy.VirtualTokenCounter()));
        for (long q : new long[] {512, 1024, 2048, 8192, 32768}) {
            sweep.add(new Policy.DeficitLongestPrefixMatch(q));
        }
        for (Policy p : sweep) {
            RunResult r = Simulator.run(s, p);
            String q = p instanceof Policy.DeficitLongestPrefixMatch d ? Long.toString(d.quantum()) : "–";
            sb.append("| ").append(r.policy()).append(" | ").append(q).append(" | ")
                    .append(Report.fmt("%.0f", r.tokensPerSecond())).append(" | ")
                    .append(Report.fmt("%.0f%%", 100 * r.cacheHitRate())).append(" | ")
                    .append(Report.fmt("%.0f", r.maxServiceDiff())).append(" | ")
                    .append(Double.isNaN(r.jain()) ? "n/a" : Report.fmt("%.3f", r.jain())).append(" |\n");
        }
        System.out.println("## DLPM quantum sweep\n\n" + sb);
        return sb.toString();
    }
}
