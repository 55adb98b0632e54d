package io.fairlane.engine.kv;

/**
 * One tenant's prefix-cache and KV figures.
 *
 * @param prefixQueryTokens prompt tokens looked up in the prefix cache (each request counted once, at its
 *                          first scheduling)
 * @param prefixHitTokens   of those, tokens served from the cache
 * @param blocksHeld        distinct blocks the tenant's live sequences reference now
 */
public record TenantKvStats(long prefixQueryTokens, long prefixHitTokens, int blocksHeld) {
}
