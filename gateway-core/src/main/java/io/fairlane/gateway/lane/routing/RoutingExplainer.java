package io.fairlane.gateway.lane.routing;

import io.fairlane.gateway.config.RoutingConfig;
import io.fairlane.gateway.config.RoutingConfig.Saturation;
import io.fairlane.gateway.config.UpstreamModelConfig.Target;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The decision path of a model's routing in words: its groups in order with each target's weight, share, slots and
 * state (and why it is ejected, throttled or saturated), the policies around them, and where a request would go
 * now and why. What {@code fairlane route} prints, from a configuration file (every target fresh) or from a live
 * server's state.
 */
public final class RoutingExplainer {

    private RoutingExplainer() {
    }

    /**
     * Explains {@code router}'s routing for a request of {@code tenant} (may be null) with an estimated prompt of
     * {@code promptTokens}.
     */
    public static String explain(ModelRouter router, String tenant, long promptTokens) {
        RoutingSnapshot snap = router.snapshot();
        RoutingConfig c = snap.config();
        StringBuilder sb = new StringBuilder();
        sb.append("model ").append(snap.model()).append(": ").append(snap.groups().size()).append(" group")
                .append(snap.groups().size() == 1 ? "" : "s").append(", tried in order\n");
        int g = 1;
        for (RoutingSnapshot.GroupState group : snap.groups()) {
            sb.append("  group ").append(g++).append(" '").append(group.name()).append("'");
            String spill = spill(group.saturation());
            sb.append(spill.isEmpty() ? ": a full group queues its work" : ": spills to the next group when " + spill)
                    .append('\n');
            for (RoutingSnapshot.TargetView v : group.targets()) {
                sb.append("    ").append(target(v)).append('\n');
            }
        }
        var r = c.retry();
        sb.append("  retry: up to ").append(r.maxAttempts()).append(" attempts on connect errors, resets, timeouts, "
                + "bad answers and HTTP ").append(r.statuses().stream().sorted().map(String::valueOf).toList())
                .append("; budget ").append(pct(r.budgetRatio())).append(" of requests + ").append(r.minPerSecond())
                .append("/s (now ").append(snap.budgetRetries()).append(" of ")
                .append((long) snap.budgetAllowed()).append(" used over 10 s); retry-after honoured up to ")
                .append(d(r.maxRetryAfter())).append('\n');
        var b = c.breaker();
        sb.append("  breaker: eject after ").append(b.consecutiveFailures()).append(" failures or ")
                .append(b.consecutiveTimeouts()).append(" timeouts in a row, or ").append(pct(b.failureRatio()))
                .append(" failed of at least ").append(b.minRequests()).append(" in ").append(d(b.window()))
                .append("; for ").append(d(b.ejection())).append(", doubling up to ").append(d(b.maxEjection()))
                .append("; ").append(b.halfOpenProbes()).append(" probe(s) at a time after; the last usable target "
                        + "is never ejected\n");
        if (!c.contextFallbacks().isEmpty()) {
            sb.append("  context fallbacks: a request refused as too long goes to ").append(c.contextFallbacks())
                    .append('\n');
        }
        c.shadow().ifPresent(s -> {
            sb.append("  shadow: ").append(pct(s.sampleRate())).append(" of requests");
            if (!s.tenants().isEmpty()) {
                sb.append(" and every request of ").append(s.tenants().stream().sorted().toList());
            }
            sb.append(" mirrored to ").append(s.target().name()).append(" (").append(s.target().url()).append(")");
            if (tenant != null) {
                sb.append("; tenant ").append(tenant).append(s.optedIn(tenant) ? " is opted in"
                        : " is sampled at " + pct(s.sampleRate()));
            }
            sb.append('\n');
        });
        sb.append("decision for a request").append(tenant == null ? "" : " of tenant " + tenant)
                .append(promptTokens > 0 ? " of ~" + promptTokens + " prompt tokens" : "").append(" now: ");
        ModelRouter.Placement p = router.wouldPlace(ModelRouter.Request.first(promptTokens, 0));
        switch (p) {
            case ModelRouter.Send s -> {
                List<String> peers = peers(snap, s.route().group());
                if (peers.size() > 1) {
                    sb.append("group '").append(c.groups().get(s.route().group()).name()).append("', one of ")
                            .append(String.join(", ", peers)).append(" by weight");
                } else {
                    sb.append("target ").append(s.route().target().name()).append(" in group '")
                            .append(c.groups().get(s.route().group()).name()).append("'");
                }
                if (s.spilledFrom() != null) {
                    sb.append(", spilled from '").append(s.spilledFrom()).append("' (").append(s.spillReason())
                            .append(")");
                }
                if (s.route().probe()) {
                    sb.append(", as a half-open probe");
                }
            }
            case ModelRouter.Wait w -> sb.append("queued (").append(w.why()).append(")");
        }
        return sb.append('\n').toString();
    }

    /** The group's targets that could take the request now, with their share of the weight among them. */
    private static List<String> peers(RoutingSnapshot snap, int group) {
        List<RoutingSnapshot.TargetView> usable = new ArrayList<>();
        for (RoutingSnapshot.TargetView v : snap.groups().get(group).targets()) {
            boolean up = v.state().equals("serving") || v.state().equals("failing") || v.state().equals("probing");
            if (up && v.hot() == null && v.inFlight() < v.target().maxConcurrency()) {
                usable.add(v);
            }
        }
        long total = usable.stream().mapToLong(v -> v.target().weight()).sum();
        List<String> out = new ArrayList<>();
        for (RoutingSnapshot.TargetView v : usable) {
            out.add(v.target().name() + " (" + pct(total == 0 ? 0 : (double) v.target().weight() / total) + ")");
        }
        return out;
    }

    private static String target(RoutingSnapshot.TargetView v) {
        Target t = v.target();
        StringBuilder sb = new StringBuilder();
        sb.append(t.name()).append(": weight ").append(t.weight()).append(" (").append(pct(v.share())).append(")")
                .append(", ").append(v.inFlight()).append('/').append(t.maxConcurrency()).append(" in flight, ")
                .append(v.state().toUpperCase(Locale.ROOT));
        switch (v.state()) {
            case "ejected" -> sb.append(" for ").append(v.ejectedForMillis()).append(" ms more (ejection ")
                    .append(v.ejections()).append(")");
            case "throttled" -> sb.append(" for ").append(v.throttledForMillis()).append(" ms more (retry-after)");
            case "failing" -> sb.append(" (kept in service: the last usable target)");
            default -> {
            }
        }
        if (v.hot() != null) {
            sb.append(", saturated (").append(v.hot()).append(")");
        }
        if (v.ttftP99Millis() >= 0) {
            sb.append(", ttft p99 ").append(v.ttftP99Millis()).append(" ms");
        }
        if (v.windowAttempts() > 0) {
            sb.append(", ").append(pct(v.failureRatio())).append(" of ").append(v.windowAttempts()).append(" failed");
        }
        sb.append(" -> ").append(t.url());
        t.model().ifPresent(m -> sb.append(" as '").append(m).append("'"));
        if (t.contextWindow() > 0) {
            sb.append(", context ").append(t.contextWindow());
        }
        var to = t.timeouts();
        sb.append(", timeouts connect ").append(d(to.connect())).append(" / first byte ").append(d(to.firstByte()))
                .append(" / between chunks ").append(d(to.betweenChunks())).append(" / total ").append(d(to.total()));
        return sb.toString();
    }

    private static String spill(Saturation s) {
        List<String> parts = new ArrayList<>();
        if (s.inFlight() > 0) {
            parts.add("every target has " + s.inFlight() + " in flight");
        }
        s.ttftP99().ifPresent(t -> parts.add("every target's ttft p99 over " + d(s.window()) + " exceeds " + d(t)));
        s.queueWait().ifPresent(q -> parts.add("a request waited " + d(q)));
        return String.join(", or ", parts);
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.0f%%", v * 100);
    }

    private static String d(Duration d) {
        if (d.toMillis() % 1000 != 0) {
            return d.toMillis() + "ms";
        }
        long s = d.toSeconds();
        return s % 60 == 0 && s > 0 ? s / 60 + "m" : s + "s";
    }
}
