package io.fairlane.gateway.lane.routing;

import io.fairlane.gateway.config.RoutingConfig;
import io.fairlane.gateway.config.RoutingConfig.Saturation;
import io.fairlane.gateway.config.UpstreamModelConfig.Target;
import java.util.ArrayList;
import java.util.List;

/**
 * A model's routing as it stands at one instant: every group and target with its configuration and live state,
 * and the retry budget. What {@code GET /admin/routing} serves and {@link RoutingExplainer} prints.
 *
 * @param model          the served model id
 * @param config         its manifest
 * @param groups         in priority order
 * @param budgetRequests requests counted by the retry budget over its window
 * @param budgetRetries  retries taken from it over the window
 * @param budgetAllowed  retries it allows over the window
 */
public record RoutingSnapshot(String model, RoutingConfig config, List<GroupState> groups, long budgetRequests,
                              long budgetRetries, double budgetAllowed) {

    /** One group. */
    public record GroupState(String name, Saturation saturation, List<TargetView> targets) {
    }

    /**
     * One target.
     *
     * @param state               {@code serving}, {@code ejected}, {@code probing} (half-open), {@code throttled} or
     *                            {@code failing} (would be ejected but is the last usable target), {@code drained}
     *                            (weight 0), {@code context_fallback} (weight 0, for context fallbacks only)
     * @param share               its weight over its group's, 0..1
     * @param ejectedForMillis    left of its ejection
     * @param throttledForMillis  left of its throttling
     * @param ttftP99Millis       p99 time to first byte over the group's saturation window, -1 with too few samples
     * @param hot                 why it counts as saturated ({@code in_flight}, {@code ttft}), or null
     */
    public record TargetView(Target target, String state, double share, int inFlight, long ejectedForMillis,
                             long throttledForMillis, int ejections, int consecutiveFailures, double failureRatio,
                             long windowAttempts, long ttftP99Millis, String hot) {
    }

    static RoutingSnapshot of(ModelRouter router, Target[][] targets, TargetState[][] states, long now, RetryBudget budget) {
        RoutingConfig config = router.config();
        List<GroupState> groups = new ArrayList<>();
        for (int g = 0; g < targets.length; g++) {
            RoutingConfig.Group group = config.groups().get(g);
            long weights = 0;
            for (Target t : targets[g]) {
                weights += t.weight();
            }
            List<TargetView> views = new ArrayList<>();
            for (int i = 0; i < targets[g].length; i++) {
                Target t = targets[g][i];
                TargetState s = states[g][i];
                Saturation sat = group.saturation();
                long p99 = s.ttftP99(now, sat.window().toNanos(), sat.minSamples());
                views.add(new TargetView(t, state(t, s, now, config), weights == 0 ? 0 : (double) t.weight() / weights,
                        s.inFlight(), s.ejectedFor(now) / 1_000_000, s.throttledFor(now) / 1_000_000, s.ejections(),
                        s.consecutiveFailures(), s.failureRatio(now), s.windowAttempts(now),
                        p99 < 0 ? -1 : p99 / 1_000_000, ModelRouter.hotReason(sat, t, s, now)));
            }
            groups.add(new GroupState(group.name(), group.saturation(), views));
        }
        return new RoutingSnapshot(router.model(), config, groups, budget.requests(now), budget.retries(now),
                budget.allowance(now));
    }

    private static String state(Target t, TargetState s, long now, RoutingConfig config) {
        if (t.weight() == 0 && s.phase(now) != TargetState.Phase.OPEN) {
            return config.contextFallbacks().contains(t.name()) ? "context_fallback" : "drained";
        }
        return switch (s.phase(now)) {
            case OPEN -> "ejected";
            case HALF_OPEN -> "probing";
            case CLOSED -> s.throttled(now) ? "throttled" : s.failingNotEjected() ? "failing" : "serving";
        };
    }
}
