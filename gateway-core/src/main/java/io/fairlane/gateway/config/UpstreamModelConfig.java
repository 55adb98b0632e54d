package io.fairlane.gateway.config;

import io.fairlane.scheduler.Policy;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A model proxied to OpenAI-compatible servers (another Fairlane among them), with its routing manifest: which
 * targets serve it, in which priority groups and with which weights, and how failures, saturation, retries and
 * shadow traffic are handled ({@link RoutingConfig}). The simplest file, one {@code url} or an ordered list of
 * {@code targets}, is the manifest whose groups each hold one target: tried in order, each taking over when the
 * one before fails before the client saw a byte.
 *
 * @param id                served name
 * @param routing           groups, targets, retry, breaker, shadow and output limits
 * @param maxConcurrency    requests in flight upstream at once for the whole model; more wait in the tenant
 *                          scheduler
 * @param tokensPerSecond   optional long-run token rate towards the upstreams (0 = none)
 * @param defaultMaxTokens  output tokens assumed for cost estimates when a request names no limit
 * @param policy            tenant scheduling policy
 * @param ownedBy           {@code owned_by} in the model list
 * @param responsesApi      whether the upstream speaks OpenAI's Responses API: {@code /v1/responses} requests are
 *                          then forwarded to its {@code /responses} as they are; otherwise (the default) they are
 *                          translated to Chat Completions, which every OpenAI-compatible server speaks
 * @param engines           present when the targets are Fairlane engine replicas placed by prefix affinity (a
 *                          model's {@code engines} section); the targets then follow the replicas' discovery
 */
public record UpstreamModelConfig(
        String id,
        RoutingConfig routing,
        int maxConcurrency,
        long tokensPerSecond,
        int defaultMaxTokens,
        Policy policy,
        String ownedBy,
        boolean responsesApi,
        Optional<EnginesConfig> engines) implements ModelConfig {

    public UpstreamModelConfig {
        Objects.requireNonNull(engines, "engines");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(routing, "routing");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(ownedBy, "ownedBy");
        if (maxConcurrency <= 0) {
            throw new IllegalArgumentException("maxConcurrency must be > 0, was " + maxConcurrency);
        }
    }

    /**
     * The simple shape: {@code targets} tried in order, each with the same timeouts and the lane's concurrency,
     * default retry and breaker settings.
     */
    public static UpstreamModelConfig ordered(String id, List<Target> targets, int maxConcurrency,
                                              long tokensPerSecond, int defaultMaxTokens, Policy policy,
                                              String ownedBy) {
        return new UpstreamModelConfig(id, RoutingConfig.ordered(targets), maxConcurrency, tokensPerSecond,
                defaultMaxTokens, policy, ownedBy);
    }

    /** Every target of every group, in group order. */
    public List<Target> targets() {
        return routing.targets();
    }

    /** {@link RoutingConfig#firstTarget()}. */
    public Target firstTarget() {
        return routing.firstTarget();
    }

    /**
     * Per-target limits on one attempt.
     *
     * @param connect       TCP (and TLS) connect
     * @param firstByte     from sending the request to the first response byte; for a stream, to the first event
     *                      with data (keep-alive comments are not progress)
     * @param betweenChunks silence between two events (streams) or body reads; paused while the gateway waits for
     *                      a slow client, which {@code server.timeouts.slow_client} covers instead
     * @param total         the whole attempt, however steadily it progresses
     */
    public record Timeouts(Duration connect, Duration firstByte, Duration betweenChunks, Duration total) {

        public static final Timeouts DEFAULT = new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(300),
                Duration.ofSeconds(120), Duration.ofMinutes(30));

        public Timeouts {
            for (Duration d : new Duration[] {connect, firstByte, betweenChunks, total}) {
                Objects.requireNonNull(d, "timeouts");
                if (d.isNegative() || d.isZero()) {
                    throw new IllegalArgumentException("timeouts must be > 0, were " + connect + "/" + firstByte
                            + "/" + betweenChunks + "/" + total);
                }
            }
        }
    }

    /** An upstream that speaks Chat Completions only (the default). */
    public UpstreamModelConfig(String id, RoutingConfig routing, int maxConcurrency, long tokensPerSecond,
                               int defaultMaxTokens, Policy policy, String ownedBy) {
        this(id, routing, maxConcurrency, tokensPerSecond, defaultMaxTokens, policy, ownedBy, false);
    }

    /** A model proxied to servers that are not engine replicas of this router. */
    public UpstreamModelConfig(String id, RoutingConfig routing, int maxConcurrency, long tokensPerSecond,
                               int defaultMaxTokens, Policy policy, String ownedBy, boolean responsesApi) {
        this(id, routing, maxConcurrency, tokensPerSecond, defaultMaxTokens, policy, ownedBy, responsesApi,
                Optional.empty());
    }

    /** This model with {@code targets} as its one group of replicas (discovery changed). */
    public UpstreamModelConfig withReplicas(List<Target> targets) {
        RoutingConfig r = new RoutingConfig(List.of(EnginesConfigReader.group(targets)), routing.retry(),
                routing.breaker(), List.of(), java.util.Optional.empty(), routing.output());
        return new UpstreamModelConfig(id, r, maxConcurrency, tokensPerSecond, defaultMaxTokens, policy, ownedBy,
                responsesApi, engines);
    }

    /** {@code api} of an {@code upstream} section: whether it is {@code responses}; an error recorded when unknown. */
    static boolean responsesApi(ConfigNode n) {
        String api = n.string("api", "chat_completions");
        if (!api.equals("chat_completions") && !api.equals("responses")) {
            n.error("api", "expected chat_completions or responses, was '" + api + "'");
        }
        return api.equals("responses");
    }

    /**
     * One upstream server.
     *
     * @param name           unique within the model: how meters, logs, headers and the admin API name it
     *                       ({@code host:port} unless named)
     * @param url            base URL including the API prefix, e.g. {@code https://api.openai.com/v1}
     * @param apiKeyEnv      environment variable holding the upstream's API key, if it needs one
     * @param model          the upstream's name for the model when it differs from the served id
     * @param weight         share of its group's traffic, relative to the group's other targets (0 drains it)
     * @param maxConcurrency requests in flight to this target at once, never exceeded
     * @param timeouts       limits on each attempt
     * @param contextWindow  the prompt tokens it accepts (0: not stated); longer requests go to a target that fits
     */
    public record Target(String name, URI url, Optional<String> apiKeyEnv, Optional<String> model, int weight,
                         int maxConcurrency, Timeouts timeouts, long contextWindow) {

        public Target {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(apiKeyEnv, "apiKeyEnv");
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(timeouts, "timeouts");
            if (weight < 0 || maxConcurrency <= 0 || contextWindow < 0) {
                throw new IllegalArgumentException("target " + name + ": weight >= 0, max_concurrency > 0 and "
                        + "context_window >= 0, were " + weight + ", " + maxConcurrency + ", " + contextWindow);
            }
        }

        /** An unnamed target with weight 1, the default timeouts and {@code maxConcurrency} slots. */
        public Target(URI url, Optional<String> apiKeyEnv, Optional<String> model, int maxConcurrency) {
            this(defaultName(url), url, apiKeyEnv, model, 1, maxConcurrency, Timeouts.DEFAULT, 0);
        }

        /** {@code host:port}: the name of a target the file does not name. */
        public static String defaultName(URI url) {
            boolean tls = "https".equalsIgnoreCase(url.getScheme());
            return url.getHost() + ":" + (url.getPort() > 0 ? url.getPort() : tls ? 443 : 80);
        }

        /** The name meters and logs use: {@link #name}. */
        public String label() {
            return name;
        }

        public boolean tls() {
            return "https".equalsIgnoreCase(url.getScheme());
        }

        public int port() {
            return url.getPort() > 0 ? url.getPort() : tls() ? 443 : 80;
        }

        /** The URL path prefix without a trailing slash, e.g. {@code /v1}. */
        public String basePath() {
            String p = url.getRawPath() == null ? "" : url.getRawPath();
            return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
        }

        /** Whether the target fits a prompt of {@code promptTokens} (always, when it states no window). */
        public boolean fits(long promptTokens) {
            return contextWindow == 0 || promptTokens <= contextWindow;
        }

        /** Same server, model and credentials: routing state (breaker, in-flight) carries over a reload. */
        public boolean sameEndpoint(Target other) {
            return name.equals(other.name) && url.equals(other.url) && model.equals(other.model)
                    && apiKeyEnv.equals(other.apiKeyEnv);
        }
    }
}
