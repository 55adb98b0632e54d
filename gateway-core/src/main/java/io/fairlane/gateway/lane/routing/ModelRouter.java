package io.fairlane.gateway.lane.routing;

import io.fairlane.gateway.config.RoutingConfig;
import io.fairlane.gateway.config.RoutingConfig.Group;
import io.fairlane.gateway.config.RoutingConfig.Saturation;
import io.fairlane.gateway.config.UpstreamModelConfig.Target;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * Places requests on an upstream model's targets. The groups are walked in priority order; in the first group with
 * a usable target (not ejected, not throttled, not already tried by this request, its context window large enough,
 * a probe slot free when half-open), a target that has a free slot and is not hot is picked at random in proportion
 * to its weight, and its slot reserved. A group with no such target either holds the request in the queue (it is
 * full but not saturated by any configured threshold), or spills it to the next group (every usable target is hot,
 * or the request waited its {@code queue_wait}); when every group spills, the best group with a free slot takes it
 * anyway. Retries never wait: they go where there is room, or nowhere.
 *
 * <p>Outcomes go back through {@link #record}, which drives each target's breaker and throttling; breaker changes,
 * spills and retry decisions are reported to a {@link Listener} (meters and logs).
 *
 * <p>Thread-safe and lock-free on the placement path: target states are read through volatile fields and slots are
 * reserved by compare-and-set; a reservation lost to another thread's makes the walk start again.
 */
public final class ModelRouter {

    /** Where a request goes: a target, its group, its state, and whether it is a half-open probe. */
    public record Route(Target target, int group, TargetState state, boolean probe) {
    }

    /**
     * The request being placed.
     *
     * @param preference the order in which to try targets (engine replicas placed by prefix affinity); null: by
     *                   weight, at random
     */
    public record Request(long promptTokens, Set<String> excluded, long waitedNanos, boolean retry,
                          Preference preference) {

        public static Request first(long promptTokens, long waitedNanos) {
            return new Request(promptTokens, Set.of(), waitedNanos, false);
        }

        public Request(long promptTokens, Set<String> excluded, long waitedNanos, boolean retry) {
            this(promptTokens, excluded, waitedNanos, retry, null);
        }

        public Request {
            Objects.requireNonNull(excluded, "excluded");
        }

        /** This request, trying targets in {@code p}'s order (null: by weight). */
        public Request prefer(Preference p) {
            return p == null ? this : new Request(promptTokens, excluded, waitedNanos, retry, p);
        }
    }

    /**
     * Targets in the order a request should try them, and why: {@code home} is the target its key belongs to (null
     * when it has none), {@code policy} names how the order was made ({@code affinity} or {@code round_robin}).
     * The first usable target with a free slot in {@code order} takes the request.
     */
    public record Preference(String home, List<String> order, String policy) {
        public Preference {
            order = List.copyOf(order);
            Objects.requireNonNull(policy, "policy");
        }
    }

    /** A placement decision. */
    public sealed interface Placement {
    }

    /**
     * Send to {@code route} (its slot reserved, or only chosen when explaining); {@code spilledFrom} names the
     * group it spilled from, null when it went to the first usable group.
     */
    public record Send(Route route, String spilledFrom, String spillReason) implements Placement {
    }

    /** Nowhere now: a queued request waits, a retry gives up. */
    public record Wait(String why) implements Placement {
    }

    /** What the router reports as it works: meters and logs listen. */
    public interface Listener {
        Listener NONE = new Listener() {
        };

        default void spilled(String fromGroup, String toGroup, String reason) {
        }

        default void breaker(Target target, TargetState.Verdict verdict) {
        }

        default void retry(boolean allowed) {
        }

        /**
         * A request with a {@link Preference} was placed on {@code target}: {@code affinity} (its key's own),
         * {@code overflow} (its own was at its bound or full), {@code failover} (its own was unusable, or this is a
         * retry), {@code least_loaded} (no key) or {@code round_robin}.
         */
        default void routed(Target target, String reason) {
        }
    }

    /** How a target stands for one request right now. */
    enum Standing {
        COOL, HOT, FULL, HOT_FULL, TRIED, CONTEXT, DRAINED, EJECTED, THROTTLED, PROBE_BUSY;

        boolean usable() {
            return ordinal() <= HOT_FULL.ordinal();
        }

        boolean free() {
            return this == COOL || this == HOT;
        }
    }

    private final String model;
    private final RoutingConfig config;
    private final Target[][] targets;
    private final TargetState[][] states;
    private final Map<String, TargetState> byName = new HashMap<>();
    /** Per group, its saturation thresholds unboxed: in-flight (0 none), TTFT p99 and window in nanos (-1 none). */
    private final int[] satInFlight;
    private final long[] satTtftNanos;
    private final long[] satWindowNanos;
    private final int[] satMinSamples;
    /** The largest context window of a target with weight (Long.MAX_VALUE when one states none). */
    private final long maxContext;
    private final RetryBudget budget;
    private final Listener listener;
    private final LongSupplier clock;
    private final RandomGenerator random;

    /**
     * @param inherited states of targets of an earlier manifest for the same model, by name: a target whose
     *                  endpoint is unchanged keeps its state
     * @param previous  the earlier manifest's targets, to tell whether an endpoint is unchanged (may be empty)
     */
    public ModelRouter(String model, RoutingConfig config, Map<String, TargetState> inherited, List<Target> previous,
                  Listener listener, LongSupplier clock, RandomGenerator random) {
        this.model = Objects.requireNonNull(model, "model");
        this.config = Objects.requireNonNull(config, "config");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        List<Group> groups = config.groups();
        targets = new Target[groups.size()][];
        states = new TargetState[groups.size()][];
        for (int g = 0; g < groups.size(); g++) {
            List<Target> ts = groups.get(g).targets();
            targets[g] = ts.toArray(Target[]::new);
            states[g] = new TargetState[ts.size()];
            for (int i = 0; i < ts.size(); i++) {
                Target t = ts.get(i);
                TargetState kept = inherited.get(t.name());
                boolean same = kept != null && previous.stream().anyMatch(p -> p.sameEndpoint(t));
                states[g][i] = same ? kept : new TargetState();
                byName.put(t.name(), states[g][i]);
            }
        }
        satInFlight = new int[groups.size()];
        satTtftNanos = new long[groups.size()];
        satWindowNanos = new long[groups.size()];
        satMinSamples = new int[groups.size()];
        long widest = 0;
        for (int g = 0; g < groups.size(); g++) {
            Saturation sat = groups.get(g).saturation();
            satInFlight[g] = sat.inFlight();
            satTtftNanos[g] = sat.ttftP99().map(java.time.Duration::toNanos).orElse(-1L);
            satWindowNanos[g] = sat.window().toNanos();
            satMinSamples[g] = sat.minSamples();
            for (Target t : targets[g]) {
                if (t.weight() > 0) {
                    widest = t.contextWindow() == 0 ? Long.MAX_VALUE : Math.max(widest, t.contextWindow());
                }
            }
        }
        this.maxContext = widest;
        this.budget = new RetryBudget(config.retry().budgetRatio(), config.retry().minPerSecond());
    }

    public String model() {
        return model;
    }

    public RoutingConfig config() {
        return config;
    }

    /** The state of every target, by name: what a reloaded manifest's router inherits. */
    public Map<String, TargetState> states() {
        return Map.copyOf(byName);
    }

    /** Counts a new request towards the retry budget's base. */
    public void requestStarted() {
        budget.request(clock.getAsLong());
    }

    /** Takes a retry from the budget; false when retries would exceed it. */
    public boolean tryRetry() {
        boolean ok = budget.tryRetry(clock.getAsLong());
        listener.retry(ok);
        return ok;
    }

    /** Places {@code request}, reserving the chosen target's slot. */
    public Placement place(Request request) {
        for (int tries = 0; tries < 8; tries++) {
            Placement p = decide(request, true);
            if (p != null) {
                return p;
            }
        }
        return new Wait("contended");
    }

    /** What {@link #place} would decide now, without reserving anything. */
    public Placement wouldPlace(Request request) {
        Placement p = decide(request, false);
        return p == null ? new Wait("contended") : p;
    }

    /**
     * A target for a request another target refused as too long for its context window: the first usable
     * {@code context_fallbacks} target not tried yet (its slot reserved), or empty. Its weight may be 0.
     */
    public java.util.Optional<Route> placeContextFallback(Request request) {
        long now = clock.getAsLong();
        for (String name : config.contextFallbacks()) {
            for (int g = 0; g < targets.length; g++) {
                for (int i = 0; i < targets[g].length; i++) {
                    Target t = targets[g][i];
                    if (!t.name().equals(name)) {
                        continue;
                    }
                    // A context fallback may have weight 0: it takes no share of the traffic, only long prompts.
                    Standing s = standing(g, i, request, now, true, true);
                    if (s.free() && reserve(g, i, now)) {
                        return java.util.Optional.of(route(g, i, now));
                    }
                }
            }
        }
        return java.util.Optional.empty();
    }

    /** Gives back a route's slot. */
    public void release(Route route) {
        route.state().release(route.probe());
    }

    /**
     * Records how an attempt on {@code route} ended.
     *
     * @param ttftNanos       its time to first byte, or -1 when it had none
     * @param retryAfterNanos the {@code retry-after} it answered with, or -1
     */
    public void record(Route route, Outcome outcome, long ttftNanos, long retryAfterNanos) {
        long now = clock.getAsLong();
        TargetState s = route.state();
        if (ttftNanos >= 0) {
            s.recordTtft(now, ttftNanos);
        }
        if (outcome == Outcome.HTTP_429 || retryAfterNanos > 0) {
            long wait = retryAfterNanos > 0 ? Math.min(retryAfterNanos, MAX_THROTTLE) : DEFAULT_THROTTLE;
            s.throttle(now + wait);
        }
        boolean others = othersUsable(s, now);
        TargetState.Verdict v = s.record(outcome, now, config.breaker(), others);
        if (!(v instanceof TargetState.Verdict.Unchanged)) {
            listener.breaker(route.target(), v);
        }
    }

    private static final long DEFAULT_THROTTLE = 1_000_000_000L;
    private static final long MAX_THROTTLE = 300_000_000_000L;

    /**
     * Nanos until some usable target stops being throttled, when throttling is all that keeps every target from
     * taking work; 0 otherwise.
     */
    public long throttledFor() {
        long now = clock.getAsLong();
        long least = Long.MAX_VALUE;
        for (int g = 0; g < targets.length; g++) {
            for (int i = 0; i < targets[g].length; i++) {
                TargetState s = states[g][i];
                if (targets[g][i].weight() == 0 || s.phase(now) == TargetState.Phase.OPEN) {
                    continue;
                }
                long t = s.throttledFor(now);
                if (t == 0) {
                    return 0;
                }
                least = Math.min(least, t);
            }
        }
        return least == Long.MAX_VALUE ? 0 : least;
    }

    /** Whether time alone can change a decision (cool-downs, throttles, queue-wait and latency windows). */
    public boolean changesWithTime() {
        return true;
    }

    /** The live state, for the admin API and the explainer. */
    public RoutingSnapshot snapshot() {
        return RoutingSnapshot.of(this, targets, states, clock.getAsLong(), budget);
    }

    long now() {
        return clock.getAsLong();
    }

    /** One walk over the groups; null when a reservation was lost to another thread (walk again). */
    private Placement decide(Request request, boolean reserve) {
        long now = clock.getAsLong();
        boolean context = anyFits(request.promptTokens());
        int firstUsable = -1;
        int fallback = -1;
        String reason = null;
        for (int g = 0; g < targets.length; g++) {
            int usable = 0;
            int cool = 0;
            int hotFree = 0;
            int hot = 0;
            Standing[] standing = new Standing[targets[g].length];
            for (int i = 0; i < targets[g].length; i++) {
                Standing s = standing(g, i, request, now, context);
                standing[i] = s;
                if (s.usable()) {
                    usable++;
                    if (s == Standing.COOL) {
                        cool++;
                    } else if (s == Standing.HOT) {
                        hotFree++;
                    }
                    if (s == Standing.HOT || s == Standing.HOT_FULL) {
                        hot++;
                    }
                }
            }
            if (usable == 0) {
                continue;
            }
            if (firstUsable < 0) {
                firstUsable = g;
            }
            if (cool > 0) {
                return send(g, standing, Standing.COOL, reserve, now, firstUsable, reason, request);
            }
            if (hotFree > 0 && fallback < 0) {
                fallback = g;
            }
            Saturation sat = config.groups().get(g).saturation();
            boolean allHot = sat.defined() && hot == usable;
            boolean waitedOut = sat.queueWait().isPresent() && request.waitedNanos() >= sat.queueWait().get().toNanos();
            if (!allHot && !waitedOut && !request.retry()) {
                if (hotFree > 0) {
                    return send(g, standing, Standing.HOT, reserve, now, firstUsable, reason, request);
                }
                return new Wait("group '" + config.groups().get(g).name() + "' is full");
            }
            if (reason == null) {
                reason = allHot ? hotReason(g, now) : request.retry() ? "retry" : "queue_wait";
            }
        }
        if (fallback >= 0) {
            Standing[] standing = new Standing[targets[fallback].length];
            for (int i = 0; i < standing.length; i++) {
                standing[i] = standing(fallback, i, request, now, context);
            }
            return send(fallback, standing, Standing.HOT, reserve, now, firstUsable, reason, request);
        }
        return new Wait(firstUsable < 0 ? "no usable target" : "every usable target is full");
    }

    /**
     * Picks among the group's targets standing {@code wanted}: the first in the request's preference, else by weight;
     * null when the reservation was lost.
     */
    private Placement send(int g, Standing[] standing, Standing wanted, boolean reserve, long now, int firstUsable,
                           String reason, Request request) {
        Preference preference = request.preference();
        if (preference != null) {
            int chosen = preferred(g, standing, wanted, preference);
            if (chosen >= 0) {
                if (reserve && !reserve(g, chosen, now)) {
                    return null;
                }
                if (reserve) {
                    listener.routed(targets[g][chosen], routedReason(g, standing, chosen, preference, request));
                }
                return new Send(route(g, chosen, now), null, null);
            }
        }
        long total = 0;
        for (int i = 0; i < standing.length; i++) {
            if (standing[i] == wanted) {
                total += targets[g][i].weight();
            }
        }
        long pick = random.nextLong(total);
        int chosen = -1;
        for (int i = 0; i < standing.length; i++) {
            if (standing[i] == wanted) {
                pick -= targets[g][i].weight();
                if (pick < 0) {
                    chosen = i;
                    break;
                }
            }
        }
        if (reserve && !reserve(g, chosen, now)) {
            return null;
        }
        String from = g == firstUsable ? null : config.groups().get(firstUsable).name();
        if (reserve && from != null) {
            listener.spilled(from, config.groups().get(g).name(), reason);
        }
        return new Send(route(g, chosen, now), from, from == null ? null : reason);
    }

    private int preferred(int g, Standing[] standing, Standing wanted, Preference preference) {
        for (String name : preference.order()) {
            for (int i = 0; i < standing.length; i++) {
                if (standing[i] == wanted && targets[g][i].name().equals(name)) {
                    return i;
                }
            }
        }
        return -1;
    }

    private String routedReason(int g, Standing[] standing, int chosen, Preference p, Request request) {
        if (!p.policy().equals("affinity")) {
            return p.policy();
        }
        if (p.home() == null) {
            return "least_loaded";
        }
        if (request.retry()) {
            return "failover";
        }
        if (targets[g][chosen].name().equals(p.home())) {
            return "affinity";
        }
        for (int i = 0; i < standing.length; i++) {
            if (targets[g][i].name().equals(p.home())) {
                return standing[i].usable() ? "overflow" : "failover";
            }
        }
        return "failover"; // its replica has left the ring
    }

    private boolean reserve(int g, int i, long now) {
        TargetState s = states[g][i];
        boolean probe = s.phase(now) == TargetState.Phase.HALF_OPEN;
        return s.tryAcquire(targets[g][i].maxConcurrency(), probe, config.breaker().halfOpenProbes());
    }

    private Route route(int g, int i, long now) {
        return new Route(targets[g][i], g, states[g][i], states[g][i].phase(now) == TargetState.Phase.HALF_OPEN);
    }

    /** How target {@code i} of group {@code g} stands for {@code request} at {@code now}. */
    Standing standing(int g, int i, Request request, long now, boolean checkContext) {
        return standing(g, i, request, now, checkContext, false);
    }

    private Standing standing(int g, int i, Request request, long now, boolean checkContext, boolean anyWeight) {
        Target t = targets[g][i];
        TargetState s = states[g][i];
        if (!request.excluded().isEmpty() && request.excluded().contains(t.name())) {
            return Standing.TRIED;
        }
        if (t.weight() == 0 && !anyWeight) {
            return Standing.DRAINED;
        }
        if (checkContext && !t.fits(request.promptTokens())) {
            return Standing.CONTEXT;
        }
        if (!s.plainlyServing(now)) {
            Standing unusual = unusual(s, now);
            if (unusual != null) {
                return unusual;
            }
        }
        int inFlight = s.inFlight();
        boolean full = inFlight >= t.maxConcurrency();
        boolean hot = (satInFlight[g] > 0 && inFlight >= satInFlight[g])
                || (satTtftNanos[g] >= 0 && s.ttftP99(now, satWindowNanos[g], satMinSamples[g]) > satTtftNanos[g]);
        return full ? (hot ? Standing.HOT_FULL : Standing.FULL) : (hot ? Standing.HOT : Standing.COOL);
    }

    /** Ejected, throttled or a busy probe slot: why a target that is not plainly serving is unusable, else null. */
    private Standing unusual(TargetState s, long now) {
        TargetState.Phase phase = s.phase(now);
        if (phase == TargetState.Phase.OPEN) {
            return Standing.EJECTED;
        }
        if (s.throttled(now)) {
            return Standing.THROTTLED;
        }
        if (phase == TargetState.Phase.HALF_OPEN && !s.probeFree(config.breaker().halfOpenProbes())) {
            return Standing.PROBE_BUSY;
        }
        return null;
    }

    /** Why a target counts as hot under {@code sat}, or null. */
    static String hotReason(Saturation sat, Target t, TargetState s, long now) {
        if (sat.inFlight() > 0 && s.inFlight() >= sat.inFlight()) {
            return "in_flight";
        }
        if (sat.ttftP99().isPresent()) {
            long p99 = s.ttftP99(now, sat.window().toNanos(), sat.minSamples());
            if (p99 > sat.ttftP99().get().toNanos()) {
                return "ttft";
            }
        }
        return null;
    }

    private String hotReason(int g, long now) {
        Saturation sat = config.groups().get(g).saturation();
        for (int i = 0; i < targets[g].length; i++) {
            String r = hotReason(sat, targets[g][i], states[g][i], now);
            if (r != null) {
                return r;
            }
        }
        return "saturated";
    }

    private boolean anyFits(long promptTokens) {
        return promptTokens <= maxContext;
    }

    private boolean othersUsable(TargetState self, long now) {
        for (int g = 0; g < targets.length; g++) {
            for (int i = 0; i < targets[g].length; i++) {
                TargetState s = states[g][i];
                if (s != self && targets[g][i].weight() > 0 && s.phase(now) != TargetState.Phase.OPEN) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "ModelRouter[" + model + ", " + byName.size() + " targets]";
    }
}
