package io.fairlane.scheduler;

import java.util.Objects;

/**
 * Everything a scheduler keeps about one tenant: its spec, its two flows, queue and running counts,
 * service received, rate-limit buckets and drain-rate estimates. Guarded by the owning scheduler's lock.
 */
final class TenantAccount {

    /** Drain rates look back about ten seconds. */
    private static final long DRAIN_TAU_NANOS = 10_000_000_000L;

    TenantSpec spec;
    /** Removed from the configuration; kept until its queued and running work is gone. */
    boolean removed;

    final TenantFlow main = new TenantFlow(this, ServiceClass.MAIN);
    final TenantFlow flex = new TenantFlow(this, ServiceClass.FLEX);

    int queuedRequests;
    long queuedTokens;
    int running;
    double service;
    long rejections;
    boolean capped;

    TokenBucket requestBucket;
    TokenBucket tokenBucket;

    final DecayingRate drainedRequests = new DecayingRate(DRAIN_TAU_NANOS);
    final DecayingRate drainedTokens = new DecayingRate(DRAIN_TAU_NANOS);

    TenantAccount(TenantSpec spec, long nowNanos) {
        this.spec = Objects.requireNonNull(spec, "spec");
        applyLimits(spec.rateLimits(), nowNanos);
    }

    String id() {
        return spec.id();
    }

    TenantFlow flow(ServiceClass c) {
        return c == ServiceClass.MAIN ? main : flex;
    }

    /** Installs new rate limits, keeping how full each existing bucket was. */
    void applyLimits(RateLimits limits, long nowNanos) {
        requestBucket = rebucket(requestBucket, limits.requestsPerMinute(), nowNanos);
        tokenBucket = rebucket(tokenBucket, limits.tokensPerMinute(), nowNanos);
    }

    private static TokenBucket rebucket(TokenBucket old, long perMinute, long nowNanos) {
        if (perMinute <= 0) {
            return null;
        }
        if (old == null) {
            return new TokenBucket(perMinute, nowNanos);
        }
        return old.perMinute() == perMinute ? old : old.resized(perMinute, nowNanos);
    }

    /** The most tickets this tenant may run at once on a lane of {@code slots}; MAX_VALUE when uncapped. */
    int runningCap(int slots) {
        if (spec.maxShare().isEmpty() || slots <= 0) {
            return Integer.MAX_VALUE;
        }
        return Math.max(1, (int) Math.floor(spec.maxShare().getAsDouble() * slots + 1e-9));
    }

    boolean idle() {
        return queuedRequests == 0 && running == 0;
    }
}
