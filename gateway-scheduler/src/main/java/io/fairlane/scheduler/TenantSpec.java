package io.fairlane.scheduler;

import java.util.EnumSet;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * A tenant as the scheduler sees it.
 *
 * @param id                 the tenant's id
 * @param weight             its guaranteed share relative to other backlogged tenants (> 0)
 * @param tiers              service tiers it may use (never empty)
 * @param maxShare           an optional cap on its share of a lane's capacity, in (0, 1], even when others idle
 * @param maxQueuedRequests  queued (not yet running) requests beyond which offers are rejected
 * @param maxQueuedTokens    queued estimated tokens ({@link CostEstimate#reservedTokens()}) beyond which
 *                           offers are rejected
 * @param rateLimits         per-minute request and token limits
 */
public record TenantSpec(
        String id,
        double weight,
        Set<ServiceTier> tiers,
        OptionalDouble maxShare,
        int maxQueuedRequests,
        long maxQueuedTokens,
        RateLimits rateLimits) {

    public TenantSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(tiers, "tiers");
        Objects.requireNonNull(maxShare, "maxShare");
        Objects.requireNonNull(rateLimits, "rateLimits");
        if (!(weight > 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("weight of tenant " + id + " must be > 0, was " + weight);
        }
        if (tiers.isEmpty()) {
            throw new IllegalArgumentException("tenant " + id + " must be allowed at least one tier");
        }
        if (maxShare.isPresent() && !(maxShare.getAsDouble() > 0 && maxShare.getAsDouble() <= 1)) {
            throw new IllegalArgumentException("maxShare of tenant " + id + " must be in (0, 1], was "
                    + maxShare.getAsDouble());
        }
        if (maxQueuedRequests <= 0 || maxQueuedTokens <= 0) {
            throw new IllegalArgumentException("queue bounds of tenant " + id + " must be > 0");
        }
        tiers = Set.copyOf(tiers);
    }

    /** A tenant with the given weight, default tier only, generous queue bounds and no rate limits. */
    public static TenantSpec of(String id, double weight) {
        return new TenantSpec(id, weight, EnumSet.of(ServiceTier.DEFAULT), OptionalDouble.empty(),
                10_000, Long.MAX_VALUE, RateLimits.NONE);
    }

    /**
     * The tier a request with {@code service_tier: "auto"} (or none) runs in: {@code default} when the
     * tenant may use it, as OpenAI resolves {@code auto} for a project without a tier of its own (asking for
     * priority is then an explicit choice); otherwise the best tier the tenant may use.
     */
    public ServiceTier autoTier() {
        if (tiers.contains(ServiceTier.DEFAULT)) {
            return ServiceTier.DEFAULT;
        }
        for (ServiceTier t : ServiceTier.values()) {
            if (tiers.contains(t)) {
                return t;
            }
        }
        throw new IllegalStateException("tenant " + id + " has no tier"); // unreachable: tiers is never empty
    }

    public TenantSpec withTiers(Set<ServiceTier> newTiers) {
        return new TenantSpec(id, weight, newTiers, maxShare, maxQueuedRequests, maxQueuedTokens, rateLimits);
    }

    public TenantSpec withQueueBounds(int requests, long tokens) {
        return new TenantSpec(id, weight, tiers, maxShare, requests, tokens, rateLimits);
    }

    public TenantSpec withRateLimits(RateLimits limits) {
        return new TenantSpec(id, weight, tiers, maxShare, maxQueuedRequests, maxQueuedTokens, limits);
    }

    public TenantSpec withMaxShare(double share) {
        return new TenantSpec(id, weight, tiers, OptionalDouble.of(share), maxQueuedRequests, maxQueuedTokens,
                rateLimits);
    }
}
