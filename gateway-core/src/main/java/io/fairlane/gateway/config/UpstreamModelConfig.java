package io.fairlane.gateway.config;

import io.fairlane.scheduler.Policy;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A model proxied to OpenAI-compatible servers. Targets are tried in order: a target that fails before
 * sending its first byte passes the request to the next.
 *
 * @param id                served name
 * @param targets           upstream servers, in failover order
 * @param maxConcurrency    requests in flight upstream at once; more wait in the tenant scheduler
 * @param tokensPerSecond   optional long-run token rate towards the upstream (0 = none)
 * @param connectTimeout    TCP (and TLS) connect limit per attempt
 * @param firstByteTimeout  limit from sending the request to the first response byte
 * @param readTimeout       limit on silence between two chunks of a response
 * @param defaultMaxTokens  output tokens assumed for cost estimates when a request names no limit
 * @param policy            tenant scheduling policy
 * @param ownedBy           {@code owned_by} in the model list
 * @param responsesApi      whether the upstream speaks OpenAI's Responses API: {@code /v1/responses} requests are
 *                          then forwarded to its {@code /responses} as they are; otherwise (the default) they are
 *                          translated to Chat Completions, which every OpenAI-compatible server speaks
 */
public record UpstreamModelConfig(
        String id,
        List<Target> targets,
        int maxConcurrency,
        long tokensPerSecond,
        Duration connectTimeout,
        Duration firstByteTimeout,
        Duration readTimeout,
        int defaultMaxTokens,
        Policy policy,
        String ownedBy,
        boolean responsesApi) implements ModelConfig {

    public UpstreamModelConfig {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(firstByteTimeout, "firstByteTimeout");
        Objects.requireNonNull(readTimeout, "readTimeout");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(ownedBy, "ownedBy");
        targets = List.copyOf(targets);
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("model " + id + " needs at least one upstream target");
        }
    }

    /** An upstream that speaks Chat Completions only (the default). */
    public UpstreamModelConfig(String id, List<Target> targets, int maxConcurrency, long tokensPerSecond,
                               Duration connectTimeout, Duration firstByteTimeout, Duration readTimeout,
                               int defaultMaxTokens, Policy policy, String ownedBy) {
        this(id, targets, maxConcurrency, tokensPerSecond, connectTimeout, firstByteTimeout, readTimeout,
                defaultMaxTokens, policy, ownedBy, false);
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
     * @param url       base URL including the API prefix, e.g. {@code https://api.openai.com/v1}
     * @param apiKeyEnv environment variable holding the upstream's API key, if it needs one
     * @param model     the upstream's name for the model when it differs from {@link #id}
     */
    public record Target(URI url, Optional<String> apiKeyEnv, Optional<String> model) {
        public Target {
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(apiKeyEnv, "apiKeyEnv");
            Objects.requireNonNull(model, "model");
        }

        /** A short label for metrics and logs: {@code host:port}. */
        public String label() {
            return url.getHost() + ":" + port();
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
    }
}
