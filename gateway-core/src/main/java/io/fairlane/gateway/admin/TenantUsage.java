package io.fairlane.gateway.admin;

import io.fairlane.gateway.slo.SloStatus;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * One tenant's usage as this replica counted it since it started: requests by outcome, tokens, prefix-cache
 * use, the same per model, and the state of each of its SLOs.
 *
 * @param tenant      the tenant's id
 * @param requests    all its requests, those that never reached a model included (bad JSON, unknown model)
 * @param tokens      tokens of all its requests
 * @param prefixCache its prompt tokens looked up in, and found in, local engines' prefix caches
 * @param models      the same per served model, in model-id order
 * @param slos        its SLOs in config order
 */
public record TenantUsage(String tenant, Requests requests, Tokens tokens, PrefixCache prefixCache,
                          List<ModelUsage> models, List<SloStatus> slos) {

    public TenantUsage {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(requests, "requests");
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(prefixCache, "prefixCache");
        models = List.copyOf(models);
        slos = List.copyOf(slos);
    }

    /** One tenant's usage of one model. */
    public record ModelUsage(String model, Requests requests, Tokens tokens, PrefixCache prefixCache) {
        public ModelUsage {
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(requests, "requests");
            Objects.requireNonNull(tokens, "tokens");
            Objects.requireNonNull(prefixCache, "prefixCache");
        }
    }

    /**
     * Requests answered, by how they ended.
     *
     * @param succeeded    status below 400
     * @param rateLimited  429: the tenant's own limits, or an upstream's
     * @param clientErrors other 4xx: the request was wrong
     * @param clientClosed 499: the client left before the answer ended
     * @param serverErrors 5xx, streams that ended in an error included
     */
    public record Requests(long succeeded, long rateLimited, long clientErrors, long clientClosed,
                           long serverErrors) {
        public long total() {
            return succeeded + rateLimited + clientErrors + clientClosed + serverErrors;
        }
    }

    /**
     * Tokens as reported in responses' usage.
     *
     * @param prompt     prompt tokens
     * @param cached     of those, tokens served from a prefix cache (the local engine's, or an upstream's own)
     * @param completion generated tokens
     */
    public record Tokens(long prompt, long cached, long completion) {
        public long total() {
            return prompt + completion;
        }
    }

    /**
     * Local engines' prefix-cache lookups.
     *
     * @param queryTokens prompt tokens looked up
     * @param hitTokens   of those, tokens found
     */
    public record PrefixCache(long queryTokens, long hitTokens) {
        /** Hits per looked-up token; empty before the first lookup. */
        public OptionalDouble hitRatio() {
            return queryTokens == 0 ? OptionalDouble.empty() : OptionalDouble.of((double) hitTokens / queryTokens);
        }
    }
}
