package io.fairlane.scheduler.sim;

import java.util.List;
import java.util.Locale;

/** Formats runs as Markdown tables (which also read well on a terminal). */
final class Report {

    private Report() {
    }

    static String table(Scenario scenario, List<RunResult> runs, RunResult.TenantResult solo) {
        StringBuilder sb = new StringBuilder();
        List<String> tenants = scenario.loads().stream().map(TenantLoad::id).toList();
        sb.append("| policy | tokens/s | req/s | max service diff | Jain | cache hit |");
        for (String t : tenants) {
            sb.append(" ").append(t).append(" TTFT p50 / p99 (s) |");
        }
        sb.append(" rejected |\n|---|---:|---:|---:|---:|---:|");
        sb.append("---:|".repeat(tenants.size())).append("---:|\n");
        for (RunResult r : runs) {
            sb.append("| ").append(r.policy()).append(" | ").append(fmt("%.0f", r.tokensPerSecond())).append(" | ")
                    .append(fmt("%.2f", r.requestsPerSecond())).append(" | ").append(fmt("%.0f", r.maxServiceDiff()))
                    .append(" | ").append(Double.isNaN(r.jain()) ? "n/a" : fmt("%.3f", r.jain())).append(" | ")
                    .append(fmt("%.0f%%", 100 * r.cacheHitRate())).append(" |");
            int rejected = 0;
            for (String t : tenants) {
                RunResult.TenantResult tr = r.tenant(t);
                sb.append(" ").append(ttft(tr)).append(" |");
                rejected += tr.rejected();
            }
            sb.append(" ").append(rejected).append(" |\n");
        }
        if (solo != null) {
            sb.append("\n").append(solo.id()).append(" alone on the same engine: TTFT p50 / p99 ")
                    .append(ttft(solo)).append(" s.\n");
        }
        return sb.toString();
    }

    /**
     * Per policy, without and with preemption: the light tenant's TTFT and end-to-end p50 / p99 against the
     * references (alone; in a batch of the same width), total tokens/s, preemptions and tokens recomputed.
     */
    static String preemptionTable(Scenario s, List<RunResult[]> runs, RunResult.TenantResult solo,
                                  RunResult.TenantResult width) {
        StringBuilder sb = new StringBuilder("| policy | light TTFT p50 / p99 (s) | p99 / solo p99 | "
                + "light e2e p50 / p99 (s) | p99 / width p99 | tokens/s | vs without | preemptions | recomputed |\n"
                + "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (RunResult[] pair : runs) {
            for (RunResult r : pair) {
                RunResult.TenantResult light = r.tenant(Scenarios.LIGHT);
                sb.append("| ").append(r.policy()).append(" | ").append(ttft(light)).append(" | ")
                        .append(fmt("%.2f", light.ttftPercentile(99) / solo.ttftPercentile(99))).append("× | ")
                        .append(fmt("%.2f", light.e2ePercentile(50))).append(" / ")
                        .append(fmt("%.2f", light.e2ePercentile(99))).append(" | ")
                        .append(fmt("%.2f", light.e2ePercentile(99) / width.e2ePercentile(99))).append("× | ")
                        .append(fmt("%.0f", r.tokensPerSecond())).append(" | ")
                        .append(fmt("%.3f", r.tokensPerSecond() / pair[0].tokensPerSecond())).append(" | ")
                        .append(r.preemptions()).append(" | ").append(r.recomputedTokens()).append(" |\n");
            }
        }
        sb.append("\nlight alone: TTFT p50 / p99 ").append(ttft(solo)).append(" s; in a batch of the same width ")
                .append("(heavy keeps one slot fewer than the engine has in flight): end-to-end p50 / p99 ")
                .append(fmt("%.2f", width.e2ePercentile(50))).append(" / ").append(fmt("%.2f", width.e2ePercentile(99)))
                .append(" s.\n");
        return sb.toString();
    }

    static String ttft(RunResult.TenantResult t) {
        return fmt("%.2f", t.ttftPercentile(50)) + " / " + fmt("%.2f", t.ttftPercentile(99));
    }

    static String loads(Scenario s) {
        StringBuilder sb = new StringBuilder();
        for (TenantLoad l : s.loads()) {
            sb.append("- ").append(l.describe()).append("\n");
        }
        EngineModel e = s.engine();
        sb.append("- engine: ").append(e.kvTokens()).append(" KV tokens, ").append(e.maxBatch())
                .append(" sequences, ").append(e.prefillBudget()).append(" prefill tokens per step, step = ")
                .append(fmt("%.3f", e.alpha())).append(" s + ").append(fmt("%.0f", e.beta() * 1e6))
                .append(" µs × prefill tokens + ").append(fmt("%.2f", e.delta() * 1e3)).append(" ms × batch size")
                .append(e.cacheTokens() > 0 ? ", prefix cache of " + e.cacheTokens() + " tokens" : "")
                .append("; ").append(fmt("%.0f", s.seconds())).append(" s of arrivals\n");
        return sb.toString();
    }

    static String fmt(String format, double v) {
        return String.format(Locale.ROOT, format, v);
    }
}
