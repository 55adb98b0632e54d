package io.fairlane.scheduler;

import java.util.Objects;

/**
 * Everything a scheduler keeps about one tenant: its spec, its two flows, queue and running counts,
 * service received, rate-limit buckets and drain-rate estimates. Guarded by the owning scheduler's lock.
 */
final class TenantAccount {

    /** Drain rates look back about ten seconds. */
    private static final long DRAIN_TAU_NANOS = 10_000_000_000L;

    /** Set through {@link #setSpec}, which keeps the tier mask in step. */
    TenantSpec spec;
    /** Removed from the configuration; kept until its queued and running work is gone. */
    boolean removed;

    final TenantFlow main;
    final TenantFlow flex;

    int queuedRequests;
    long queuedTokens;
    int running;
    double service;
    long rejections;
    boolean capped;

    TokenBucket requestBucket;
    TokenBucket tokenBucket;

    /** Requests and tokens leaving the queue, for retry-after estimates. */
    final DrainRate drained = new DrainRate(DRAIN_TAU_NANOS);

    /** Bit {@code ordinal} set for each tier the spec allows. */
    private int tierMask;

    /**
     * @param number dense number unique within the scheduler; the account's flows are numbered
     *               {@code 2·number} and {@code 2·number + 1}
     */
    TenantAccount(TenantSpec spec, int number, long nowNanos) {
        this.main = new TenantFlow(this, ServiceClass.MAIN, 2 * number);
        this.flex = new TenantFlow(this, ServiceClass.FLEX, 2 * number + 1);
        setSpec(spec);
        applyLimits(spec.rateLimits(), nowNanos);
    }

    /** Copies of the spec's hot fields, so the dispatch path need not load the spec and its Optional. */
    private String id;
    double weight;
    /** The spec's maxShare, or NaN without one. */
    private double maxShare;

    void setSpec(TenantSpec newSpec) {
        this.spec = Objects.requireNonNull(newSpec, "spec");
        this.id = newSpec.id();
        this.weight = newSpec.weight();
        this.maxShare = newSpec.maxShare().orElse(Double.NaN);
        int mask = 0;
        for (ServiceTier t : newSpec.tiers()) {
            mask |= 1 << t.ordinal();
        }
        tierMask = mask;
    }

    boolean allows(ServiceTier tier) {
        return (tierMask & (1 << tier.ordinal())) != 0;
    }

    String id() {
        return id;
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
        if (Double.isNaN(maxShare) || slots <= 0) {
            return Integer.MAX_VALUE;
        }
        return Math.max(1, (int) Math.floor(maxShare * slots + 1e-9));
    }

    boolean idle() {
        return queuedRequests == 0 && running == 0;
    }
}
