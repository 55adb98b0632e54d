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
     * @param prefixQueryTokens prompt tokens looked up in the prefix cache
     * @param prefixHitTokens   of those, tokens found
     * @param kvBlocksHeld      blocks the tenant's running sequences hold now
     * @param preemptions       times its sequences were preempted
     */
    public record TenantCacheStats(long prefixQueryTokens, long prefixHitTokens, int kvBlocksHeld,
                                   long preemptions) {
    }
}
