package io.fairlane.gateway.config;

import io.fairlane.gateway.config.UpstreamModelConfig.Target;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The routing manifest of one upstream model: priority groups of weighted targets, when a group counts as
 * saturated (its new work spills to the next group instead of queueing), how failed attempts are retried,
 * when a target is ejected, which targets take requests too long for the one that refused them, the shadow
 * target that sees a sample of the traffic, and the bounds on what an upstream may send back.
 *
 * @param groups           tried in order; the first group with a usable target takes the request
 * @param retry            which failures are retried, how often, within which budget
 * @param breaker          when a target is ejected, for how long, and how it is probed back
 * @param contextFallbacks names of targets that take a request another target refused as too long for its
 *                         context window (empty: such a refusal goes to the client)
 * @param shadow           where a sample of the traffic is mirrored, if anywhere
 * @param output           bounds on an upstream's answer
 */
public record RoutingConfig(List<Group> groups, Retry retry, Breaker breaker, List<String> contextFallbacks,
                            Optional<Shadow> shadow, OutputLimits output) {

    public RoutingConfig {
        groups = List.copyOf(groups);
        contextFallbacks = List.copyOf(contextFallbacks);
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(breaker, "breaker");
        Objects.requireNonNull(shadow, "shadow");
        Objects.requireNonNull(output, "output");
        // A group without targets is an engine replicas' group waiting for discovery; any other manifest is read
        // with at least one target.
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("a routing manifest needs at least one group");
        }
    }

    /** Each target its own group, in order, with the default policies: the simple failover list. */
    public static RoutingConfig ordered(List<Target> targets) {
        List<Group> groups = new ArrayList<>();
        for (Target t : targets) {
            groups.add(new Group(t.name(), List.of(t), Saturation.NONE));
        }
        return new RoutingConfig(groups, Retry.defaults(targets.size()), Breaker.DEFAULT, List.of(),
                Optional.empty(), OutputLimits.DEFAULT);
    }

    /** The first target in group order, or null when no group has one yet; per request, so nothing is copied. */
    public Target firstTarget() {
        for (Group g : groups) {
            if (!g.targets().isEmpty()) {
                return g.targets().getFirst();
            }
        }
        return null;
    }

    /** Every target, in group order. */
    public List<Target> targets() {
        List<Target> all = new ArrayList<>();
        for (Group g : groups) {
            all.addAll(g.targets());
        }
        return all;
    }

    /** The target named {@code name}, if there is one. */
    public Optional<Target> target(String name) {
        return targets().stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /**
     * A priority group.
     *
     * @param name       for logs, meters and the admin API
     * @param targets    shared by weight
     * @param saturation past which new work spills to the next group
     */
    public record Group(String name, List<Target> targets, Saturation saturation) {
        public Group {
            Objects.requireNonNull(name, "name");
            targets = List.copyOf(targets);
            Objects.requireNonNull(saturation, "saturation");
        }
    }

    /**
     * When a group is saturated. A target is hot when it has {@code inFlight} requests running or its observed
     * time to first byte over the last {@code window} has a p99 above {@code ttftP99} (once it has
     * {@code minSamples} of them); a group whose usable targets are all hot spills new work to the next group,
     * and so does a request that waited {@code queueWait} for a full group. Without any threshold a full group
     * queues its work.
     *
     * @param inFlight   0 for no in-flight threshold
     */
    public record Saturation(int inFlight, Optional<Duration> queueWait, Optional<Duration> ttftP99,
                             Duration window, int minSamples) {

        public static final Saturation NONE = new Saturation(0, Optional.empty(), Optional.empty(),
                Duration.ofSeconds(60), 20);

        public Saturation {
            Objects.requireNonNull(queueWait, "queueWait");
            Objects.requireNonNull(ttftP99, "ttftP99");
            Objects.requireNonNull(window, "window");
        }

        /** Whether any threshold is set. */
        public boolean defined() {
            return inFlight > 0 || queueWait.isPresent() || ttftP99.isPresent();
        }
    }

    /**
     * Retries: a failed attempt (a status in {@code statuses}, or a connect error, reset, timeout or unusable
     * answer) before the client saw a byte is tried again on another usable target, or on the same one after its
     * {@code retry-after} when that is at most {@code maxRetryAfter}. Retries are capped per request and, across
     * the model, by a budget: at most {@code budgetRatio} of the requests of the last ten seconds plus
     * {@code minPerSecond} a second, so retries cannot multiply an outage.
     *
     * @param maxAttempts first attempt included
     */
    public record Retry(Set<Integer> statuses, int maxAttempts, double budgetRatio, int minPerSecond,
                        Duration maxRetryAfter) {

        public static final Set<Integer> DEFAULT_STATUSES = Set.of(429, 500, 502, 503, 504);

        public Retry {
            statuses = Set.copyOf(statuses);
            Objects.requireNonNull(maxRetryAfter, "maxRetryAfter");
        }

        /** Defaults for a model with {@code targets} targets: every target may be tried once, and at least two. */
        public static Retry defaults(int targets) {
            return new Retry(DEFAULT_STATUSES, Math.max(2, targets), 0.2, 10, Duration.ofSeconds(2));
        }
    }

    /**
     * Outlier ejection. A target is ejected after {@code consecutiveFailures} failures in a row,
     * {@code consecutiveTimeouts} timeouts in a row, or a failure ratio of {@code failureRatio} over
     * {@code window} once it saw {@code minRequests}; for {@code ejection}, doubled at each ejection up to
     * {@code maxEjection}. Then up to {@code halfOpenProbes} requests at a time probe it: a success closes the
     * breaker, a failure ejects it again for longer. The last usable target of a model is never ejected: it is
     * marked failing and keeps serving, and the log and the admin API say so.
     */
    public record Breaker(int consecutiveFailures, int consecutiveTimeouts, double failureRatio, int minRequests,
                          Duration window, Duration ejection, Duration maxEjection, int halfOpenProbes) {

        public static final Breaker DEFAULT = new Breaker(5, 1, 0.5, 20, Duration.ofSeconds(30),
                Duration.ofSeconds(5), Duration.ofMinutes(5), 1);

        public Breaker {
            Objects.requireNonNull(window, "window");
            Objects.requireNonNull(ejection, "ejection");
            Objects.requireNonNull(maxEjection, "maxEjection");
        }
    }

    /**
     * Shadow traffic: the requests of the {@code tenants} listed, and a {@code sampleRate} of everyone's, are sent
     * to {@code target} as well, off the client's path; its answers are compared with the primary's and only
     * meters see the result.
     *
     * @param maxConcurrency shadow requests in flight at once; beyond that a sampled request is not mirrored
     */
    public record Shadow(Target target, double sampleRate, Set<String> tenants, int maxConcurrency) {
        public Shadow {
            Objects.requireNonNull(target, "target");
            tenants = Set.copyOf(tenants);
        }

        /** Whether {@code tenant}'s requests are mirrored regardless of the sample. */
        public boolean optedIn(String tenant) {
            return tenants.contains(tenant);
        }
    }

    /**
     * Bounds on an upstream's answer. A response larger than {@code maxResponseBytes} fails; a stream for a
     * request with a token limit fails once it carried more than the limit times {@code 1 + slackRatio} plus
     * {@code slackTokens} output chunks, or {@code maxBytesPerToken} bytes of output text per allowed token.
     */
    public record OutputLimits(long maxResponseBytes, double slackRatio, int slackTokens, int maxBytesPerToken) {

        public static final OutputLimits DEFAULT = new OutputLimits(64L * 1024 * 1024, 0.25, 64, 64);

        /** Output chunks a request of {@code maxTokens} (times choices) may receive, or -1 without a limit. */
        public long outputChunkLimit(long maxTokens) {
            return maxTokens <= 0 ? -1 : (long) Math.ceil(maxTokens * (1 + slackRatio)) + slackTokens;
        }
    }
}
