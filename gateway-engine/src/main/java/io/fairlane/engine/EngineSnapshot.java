package io.fairlane.engine;

import java.util.Map;

/**
 * A point-in-time view of an engine, for gauges.
 *
 * @param running          sequences in the running batch
 * @param waiting          requests queued in the tenant scheduler
 * @param kvBlocksTotal    KV blocks in the pool
 * @param kvBlocksUsed     KV blocks referenced by running sequences
 * @param kvBlocksCached   free blocks still holding reusable prefix data
 * @param preemptions      preemptions since start
 * @param promptTokensComputed   prompt tokens prefilled since start
 * @param outputTokens     tokens generated since start
 * @param lastBatchSize    sequences in the last forward step
 * @param deviceMemoryUsedBytes  bytes of device memory held (0 on the CPU backend)
 * @param tenants          per-tenant cache and KV figures
 */
public record EngineSnapshot(
        int running,
        int waiting,
        int kvBlocksTotal,
        int kvBlocksUsed,
        int kvBlocksCached,
        long preemptions,
        long promptTokensComputed,
        long outputTokens,
        int lastBatchSize,
        long deviceMemoryUsedBytes,
        Map<String, TenantCacheStats> tenants) {

    public EngineSnapshot {
        tenants = Map.copyOf(tenants);
    }

    /**
     * @param prefixQueryTokens    prompt tokens looked up in the prefix cache
     * @param prefixHitTokens      of those, tokens found
     * @param kvBlocksHeld         blocks the tenant's running sequences hold now
     * @param preemptions          times its sequences were preempted, for any reason
     * @param fairSharePreemptions of those, preemptions to give another tenant its fair share
     * @param flexPreemptions      of those, preemptions of flex sequences for a priority or default request (the
     *                             rest: a running sequence needed a KV block and the pool had none)
     * @param recomputedTokens     tokens its preempted sequences computed again on resume (charged to no tenant)
     * @param preemptedNanos       time its sequences spent preempted, summed over sequences
     */
    public record TenantCacheStats(long prefixQueryTokens, long prefixHitTokens, int kvBlocksHeld,
                                   long preemptions, long fairSharePreemptions, long flexPreemptions,
                                   long recomputedTokens, long preemptedNanos) {

        /** Cache figures and a preemption count only (no reasons, recompute or time). */
        public TenantCacheStats(long prefixQueryTokens, long prefixHitTokens, int kvBlocksHeld, long preemptions) {
            this(prefixQueryTokens, prefixHitTokens, kvBlocksHeld, preemptions, 0, 0, 0, 0);
        }

        /** Preemptions because a running sequence needed a KV block and none was free. */
        public long kvCachePreemptions() {
            return preemptions - fairSharePreemptions - flexPreemptions;
        }
    }
}
