package io.fairlane.gateway.config;

import io.fairlane.gateway.slo.SloSpec;
import io.fairlane.scheduler.RateLimits;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.TenantSpec;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * A tenant: who it is, how it authenticates, and what share of each lane it is guaranteed.
 *
 * @param id                tenant id (metric tag, scheduler key)
 * @param apiKeys           digests of its API keys
 * @param weight            share relative to other backlogged tenants
 * @param serviceTiers      tiers it may request
 * @param maxShare          optional cap on its share of a lane
 * @param maxQueuedRequests queued requests per lane beyond which it gets 429
 * @param maxQueuedTokens   queued tokens per lane beyond which it gets 429
 * @param rateLimits        requests and tokens per minute (0 = unlimited)
 * @param cacheGroup        tenants with the same group share prefix-cache entries; empty means private
 * @param slos              its service-level objectives (tracked by the metrics package's {@code SloTracker})
 * @param capture           whether its traffic is recorded to the capture file (off unless opted in)
 */
public record TenantConfig(
        String id,
        List<ApiKeyHash> apiKeys,
        double weight,
        Set<ServiceTier> serviceTiers,
        OptionalDouble maxShare,
        int maxQueuedRequests,
        long maxQueuedTokens,
        RateLimits rateLimits,
        Optional<String> cacheGroup,
        List<SloSpec> slos,
        boolean capture) {

    public TenantConfig {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(maxShare, "maxShare");
        Objects.requireNonNull(rateLimits, "rateLimits");
        Objects.requireNonNull(cacheGroup, "cacheGroup");
        apiKeys = List.copyOf(apiKeys);
        serviceTiers = Set.copyOf(serviceTiers);
        slos = List.copyOf(slos);
    }

    private static final ServiceTier[] TIERS_BEST_FIRST = ServiceTier.values();

    /** A tenant whose traffic is not captured. */
    public TenantConfig(String id, List<ApiKeyHash> apiKeys, double weight, Set<ServiceTier> serviceTiers,
                        OptionalDouble maxShare, int maxQueuedRequests, long maxQueuedTokens, RateLimits rateLimits,
                        Optional<String> cacheGroup, List<SloSpec> slos) {
        this(id, apiKeys, weight, serviceTiers, maxShare, maxQueuedRequests, maxQueuedTokens, rateLimits, cacheGroup,
                slos, false);
    }

    /** The scheduler's view of this tenant. */
    public TenantSpec toSpec() {
        return new TenantSpec(id, weight, serviceTiers, maxShare, maxQueuedRequests, maxQueuedTokens, rateLimits);
    }

    /** The prefix-cache salt: the shared group when one is configured, else the tenant's own id. */
    public String cacheSalt() {
        return cacheGroup.map(g -> "group:" + g).orElse("tenant:" + id);
    }

    /**
     * What {@code service_tier: auto} (or none) resolves to: {@code default} when this tenant may use it, as
     * OpenAI answers a request without a tier, else the best tier it may use (a priority-only tenant gets
     * priority, a flex-only one flex).
     */
    public ServiceTier autoTier() {
        if (serviceTiers.contains(ServiceTier.DEFAULT)) {
            return ServiceTier.DEFAULT;
        }
        for (ServiceTier t : TIERS_BEST_FIRST) {
            if (serviceTiers.contains(t)) {
                return t;
            }
        }
        throw new IllegalStateException("tenant " + id + " has no tier");
    }
}
