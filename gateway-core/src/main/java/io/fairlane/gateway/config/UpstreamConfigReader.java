package io.fairlane.gateway.config;

import io.fairlane.gateway.config.RoutingConfig.Breaker;
import io.fairlane.gateway.config.RoutingConfig.Group;
import io.fairlane.gateway.config.RoutingConfig.OutputLimits;
import io.fairlane.gateway.config.RoutingConfig.Retry;
import io.fairlane.gateway.config.RoutingConfig.Saturation;
import io.fairlane.gateway.config.RoutingConfig.Shadow;
import io.fairlane.gateway.config.UpstreamModelConfig.Target;
import io.fairlane.gateway.config.UpstreamModelConfig.Timeouts;
import io.fairlane.scheduler.Policy;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads a model's {@code upstream} section: the simple forms ({@code url}, or {@code targets} tried in order)
 * and the routing manifest ({@code groups} of weighted targets with saturation thresholds, {@code retry},
 * {@code breaker}, {@code context_fallbacks}, {@code shadow}, {@code limits}). Like {@link ConfigLoader}, it
 * records every problem with its path and reads on, so one pass reports the whole file.
 */
final class UpstreamConfigReader {

    private static final int DEFAULT_CONCURRENCY = 64;

    private final Set<String> tenantIds;

    /** @param tenantIds the configured tenants, which {@code shadow.tenants} must name */
    UpstreamConfigReader(Set<String> tenantIds) {
        this.tenantIds = tenantIds;
    }

    UpstreamModelConfig read(String id, ConfigNode n, Policy policy, String ownedBy) {
        boolean hasUrl = n.has("url");
        boolean hasTargets = n.has("targets");
        boolean hasGroups = n.has("groups");
        int forms = (hasUrl ? 1 : 0) + (hasTargets ? 1 : 0) + (hasGroups ? 1 : 0);
        if (forms == 0) {
            n.error("url", "is required (or a list of 'targets', or 'groups' of targets)");
        } else if (forms > 1) {
            n.error(hasGroups ? "groups" : "targets", "give one of 'url', 'targets' or 'groups', not several");
        }
        Integer laneConcurrency = n.has("max_concurrency")
                ? (int) n.integer("max_concurrency", DEFAULT_CONCURRENCY, 1, 1_000_000) : null;
        int targetDefaultConcurrency = laneConcurrency == null ? DEFAULT_CONCURRENCY : laneConcurrency;
        long tps = n.integer("tokens_per_second", 0, 0, Long.MAX_VALUE);
        Timeouts timeouts = n.section("timeouts").map(t -> timeouts(t, Timeouts.DEFAULT)).orElse(Timeouts.DEFAULT);
        int defaultMax = (int) n.integer("default_max_tokens", 1024, 1, 10_000_000);

        List<Group> groups = new ArrayList<>();
        Names names = new Names();
        if (hasUrl && forms == 1) {
            Target t = target(n, timeouts, targetDefaultConcurrency, names, false);
            if (t != null) {
                groups.add(new Group(t.name(), List.of(t), Saturation.NONE));
            }
        } else if (hasTargets) {
            for (ConfigNode tn : n.sections("targets")) {
                Target t = target(tn, timeouts, targetDefaultConcurrency, names, true);
                tn.finish();
                if (t != null) {
                    groups.add(new Group(t.name(), List.of(t), Saturation.NONE));
                }
            }
        }
        if (hasGroups) {
            groups.addAll(groups(n, timeouts, targetDefaultConcurrency, names));
        }
        if (!hasUrl) {
            // Read so that finish() does not report them as unknown; they belong to the url form only.
            for (String key : List.of("api_key_env", "model", "context_window")) {
                if (n.has(key)) {
                    n.error(key, "belongs to a target: with 'targets' or 'groups', set it on each target");
                }
            }
        }
        int targetCount = groups.stream().mapToInt(g -> g.targets().size()).sum();
        if (targetCount > 0 && groups.stream().allMatch(g -> g.targets().stream().allMatch(t -> t.weight() == 0))) {
            n.error(hasGroups ? "groups" : "targets", "every target has weight 0: nothing could serve the model");
        }
        Retry retry = n.section("retry").map(r -> retry(r, targetCount)).orElse(Retry.defaults(targetCount));
        Breaker breaker = n.section("breaker").map(UpstreamConfigReader::breaker).orElse(Breaker.DEFAULT);
        List<String> fallbacks = n.strings("context_fallbacks", List.of());
        for (int i = 0; i < fallbacks.size(); i++) {
            if (!names.all.contains(fallbacks.get(i))) {
                n.error("context_fallbacks[" + i + "]", "no target is named '" + fallbacks.get(i) + "'; expected one of "
                        + new TreeSet<>(names.all));
            }
        }
        Optional<Shadow> shadow = n.section("shadow").map(s -> shadow(s, timeouts, names));
        OutputLimits limits = n.section("limits").map(UpstreamConfigReader::limits).orElse(OutputLimits.DEFAULT);
        boolean responsesApi = UpstreamModelConfig.responsesApi(n);
        n.finish();
        if (id == null || targetCount == 0) {
            return null;
        }
        int lane = laneConcurrency != null ? laneConcurrency
                : names.explicitConcurrency == targetCount ? laneDefault(groups) : DEFAULT_CONCURRENCY;
        return new UpstreamModelConfig(id, new RoutingConfig(groups, retry, breaker, fallbacks, shadow, limits), lane,
                tps, defaultMax, policy, ownedBy, responsesApi);
    }

    /** Without a lane-wide limit, when every target states one: the targets' own limits added up. */
    private static int laneDefault(List<Group> groups) {
        long sum = 0;
        for (Group g : groups) {
            for (Target t : g.targets()) {
                sum += t.maxConcurrency();
            }
        }
        return (int) Math.min(1_000_000, Math.max(1, sum));
    }

    /** Target names seen so far in one model: explicit ones must be unique, defaults are made so. */
    private static final class Names {
        final Set<String> all = new HashSet<>();
        /** Targets that state their own max_concurrency. */
        int explicitConcurrency;

        String claim(ConfigNode n, String explicit, URI url) {
            if (explicit != null) {
                if (!all.add(explicit)) {
                    n.error("name", "duplicate target name '" + explicit + "'");
                }
                return explicit;
            }
            String base = Target.defaultName(url);
            String name = base;
            for (int i = 2; !all.add(name); i++) {
                name = base + "#" + i;
            }
            return name;
        }
    }

    private List<Group> groups(ConfigNode n, Timeouts timeouts, int concurrency, Names names) {
        List<Group> out = new ArrayList<>();
        Set<String> groupNames = new HashSet<>();
        List<ConfigNode> nodes = n.sections("groups");
        if (nodes.isEmpty()) {
            n.error("groups", "needs at least one group");
        }
        for (int i = 0; i < nodes.size(); i++) {
            ConfigNode g = nodes.get(i);
            String name = g.string("name", "group-" + (i + 1));
            if (!groupNames.add(name)) {
                g.error("name", "duplicate group name '" + name + "'");
            }
            Timeouts groupTimeouts = g.section("timeouts").map(t -> timeouts(t, timeouts)).orElse(timeouts);
            List<Target> targets = new ArrayList<>();
            List<ConfigNode> targetNodes = g.sections("targets");
            if (targetNodes.isEmpty()) {
                g.error("targets", "a group needs at least one target");
            }
            for (ConfigNode tn : targetNodes) {
                Target t = target(tn, groupTimeouts, concurrency, names, true);
                tn.finish();
                if (t != null) {
                    targets.add(t);
                }
            }
            Saturation saturation = g.section("saturation").map(s -> saturation(s, targets)).orElse(Saturation.NONE);
            g.finish();
            out.add(new Group(name, targets, saturation));
        }
        return out;
    }

    private static Saturation saturation(ConfigNode s, List<Target> targets) {
        int inFlight = (int) s.integer("in_flight", 0, 0, 1_000_000);
        for (Target t : targets) {
            if (inFlight > t.maxConcurrency()) {
                s.error("in_flight", "is above target '" + t.name() + "''s max_concurrency (" + t.maxConcurrency()
                        + "), so it could never be reached");
                break;
            }
        }
        Optional<Duration> queueWait = Optional.ofNullable(positive(s, "queue_wait", null));
        Optional<Duration> ttft = Optional.ofNullable(positive(s, "ttft_p99", null));
        Duration window = positive(s, "window", Saturation.NONE.window());
        int minSamples = (int) s.integer("min_samples", Saturation.NONE.minSamples(), 1, 1_000_000);
        s.finish();
        return new Saturation(inFlight, queueWait, ttft, window, minSamples);
    }

    /**
     * One target. {@code named} says whether a {@code name}, {@code weight} and {@code max_concurrency} may be
     * given here (in a list), or whether this is the simple one-url form, whose node is the upstream section.
     */
    private static Target target(ConfigNode n, Timeouts inherited, int concurrency, Names names, boolean named) {
        String url = n.requiredString("url");
        Optional<String> keyEnv = Optional.ofNullable(n.string("api_key_env", null));
        Optional<String> model = Optional.ofNullable(n.string("model", null));
        String name = named ? n.string("name", null) : null;
        int weight = named ? (int) n.integer("weight", 1, 0, 1_000_000) : 1;
        if (named && n.has("max_concurrency")) {
            names.explicitConcurrency++;
        }
        int max = named ? (int) n.integer("max_concurrency", concurrency, 1, 1_000_000) : concurrency;
        Timeouts timeouts = named ? n.section("timeouts").map(t -> timeouts(t, inherited)).orElse(inherited) : inherited;
        long window = n.integer("context_window", 0, 0, Long.MAX_VALUE);
        URI uri = url == null ? null : url(n, url);
        if (uri == null) {
            return null;
        }
        return new Target(names.claim(n, name, uri), uri, keyEnv, model, weight, max, timeouts, window);
    }

    private static URI url(ConfigNode n, String url) {
        try {
            URI uri = new URI(url);
            if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())) {
                n.error("url", "must start with http:// or https://, was '" + url + "'");
                return null;
            }
            if (uri.getHost() == null) {
                n.error("url", "has no host: '" + url + "'");
                return null;
            }
            if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
                n.error("url", "must not carry a query or fragment: '" + url + "'");
                return null;
            }
            return uri;
        } catch (URISyntaxException e) {
            n.error("url", "is not a valid URL: " + e.getMessage());
            return null;
        }
    }

    /** {@code timeouts}: each key falls back to {@code inherited}; {@code read} is the older name of between_chunks. */
    static Timeouts timeouts(ConfigNode t, Timeouts inherited) {
        Duration connect = positive(t, "connect", inherited.connect());
        Duration firstByte = positive(t, "first_byte", inherited.firstByte());
        Duration between = inherited.betweenChunks();
        if (t.has("read") && t.has("between_chunks")) {
            t.error("read", "is the older name of between_chunks: give one of them");
        }
        between = positive(t, "read", between);
        between = positive(t, "between_chunks", between);
        Duration total = positive(t, "total", inherited.total());
        t.finish();
        return new Timeouts(connect, firstByte, between, total);
    }

    private static Retry retry(ConfigNode r, int targets) {
        Retry d = Retry.defaults(targets);
        Set<Integer> statuses = new HashSet<>();
        List<Integer> given = r.integers("on_status", List.copyOf(d.statuses()));
        for (int i = 0; i < given.size(); i++) {
            int s = given.get(i);
            if (s != 429 && (s < 500 || s > 599)) {
                r.error("on_status[" + i + "]", "only 429 and 5xx answers can be retried (a 4xx is the request's "
                        + "own problem and would fail the same everywhere), was " + s);
            } else {
                statuses.add(s);
            }
        }
        int attempts = (int) r.integer("max_attempts", d.maxAttempts(), 1, 10);
        double budget = r.number("budget", d.budgetRatio(), 0, 1, false);
        int minPerSecond = (int) r.integer("min_retries_per_second", d.minPerSecond(), 0, 100_000);
        Duration maxRetryAfter = r.duration("max_retry_after", d.maxRetryAfter());
        if (maxRetryAfter.isNegative()) {
            r.error("max_retry_after", "must be >= 0");
            maxRetryAfter = d.maxRetryAfter();
        }
        r.finish();
        return new Retry(statuses, attempts, budget, minPerSecond, maxRetryAfter);
    }

    private static Breaker breaker(ConfigNode b) {
        Breaker d = Breaker.DEFAULT;
        int failures = (int) b.integer("consecutive_failures", d.consecutiveFailures(), 1, 1_000_000);
        int timeouts = (int) b.integer("consecutive_timeouts", d.consecutiveTimeouts(), 1, 1_000_000);
        double ratio = b.number("failure_ratio", d.failureRatio(), 0, 1, true);
        int minRequests = (int) b.integer("min_requests", d.minRequests(), 1, 1_000_000);
        Duration window = positive(b, "window", d.window());
        Duration ejection = positive(b, "ejection", d.ejection());
        Duration maxEjection = positive(b, "max_ejection", d.maxEjection());
        if (maxEjection.compareTo(ejection) < 0) {
            b.error("max_ejection", "must be at least 'ejection' (" + ejection + ")");
            maxEjection = ejection;
        }
        int probes = (int) b.integer("half_open_probes", d.halfOpenProbes(), 1, 1000);
        b.finish();
        return new Breaker(failures, timeouts, ratio, minRequests, window, ejection, maxEjection, probes);
    }

    private Shadow shadow(ConfigNode s, Timeouts timeouts, Names names) {
        int concurrency = (int) s.integer("max_concurrency", 16, 1, 100_000);
        Timeouts own = s.section("timeouts").map(t -> timeouts(t, timeouts)).orElse(timeouts);
        String url = s.requiredString("url");
        Optional<String> keyEnv = Optional.ofNullable(s.string("api_key_env", null));
        Optional<String> model = Optional.ofNullable(s.string("model", null));
        String name = s.string("name", null);
        double rate = s.number("sample_rate", 0, 0, 1, false);
        List<String> tenants = s.strings("tenants", List.of());
        for (int i = 0; i < tenants.size(); i++) {
            if (!tenantIds.contains(tenants.get(i))) {
                s.error("tenants[" + i + "]", "no tenant '" + tenants.get(i) + "' is configured");
            }
        }
        if (rate == 0 && tenants.isEmpty() && s.has("url")) {
            s.error("sample_rate", "give a sample_rate above 0 or opted-in 'tenants': as written nothing is mirrored");
        }
        s.finish();
        URI uri = url == null ? null : url(s, url);
        if (uri == null) {
            return null;
        }
        String shadowName = name != null ? name : "shadow:" + Target.defaultName(uri);
        if (names.all.contains(shadowName)) {
            s.error("name", "'" + shadowName + "' is already a target's name");
        }
        Target target = new Target(shadowName, uri, keyEnv, model, 0, concurrency, own, 0);
        return new Shadow(target, rate, Set.copyOf(tenants), concurrency);
    }

    private static OutputLimits limits(ConfigNode l) {
        OutputLimits d = OutputLimits.DEFAULT;
        long bytes = l.bytes("max_response_size", d.maxResponseBytes());
        if (bytes <= 0) {
            l.error("max_response_size", "must be > 0");
            bytes = d.maxResponseBytes();
        }
        double slack = l.number("output_slack", d.slackRatio(), 0, 100, false);
        int slackTokens = (int) l.integer("output_slack_tokens", d.slackTokens(), 0, 1_000_000);
        int perToken = (int) l.integer("max_bytes_per_token", d.maxBytesPerToken(), 1, 1_000_000);
        l.finish();
        return new OutputLimits(bytes, slack, slackTokens, perToken);
    }

    static Duration positive(ConfigNode n, String key, Duration fallback) {
        Duration d = n.duration(key, fallback);
        if (d != null && (d.isZero() || d.isNegative())) {
            n.error(key, "must be longer than 0");
            return fallback;
        }
        return d;
    }
}
