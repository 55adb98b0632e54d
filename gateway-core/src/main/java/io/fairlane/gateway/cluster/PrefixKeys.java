package io.fairlane.gateway.cluster;

import io.fairlane.engine.kv.BlockHash;
import io.fairlane.engine.kv.BlockHasher;
import io.fairlane.gateway.config.TenantConfig;
import java.util.Objects;

/**
 * The routing key of a prompt: the KV cache's hash of its first {@code depth} full blocks (fewer when the prompt is
 * shorter), computed by the engine's own {@link BlockHasher} with the tenant's cache salt. Using the engine's code,
 * not a copy of it, is what keeps router and engine in agreement: a router hashing with another seed or salt would
 * send every prompt to a replica that never holds its prefix (and see a 0% hit rate without any error). Prompts
 * shorter than one block have no key: any replica serves them equally well.
 */
public final class PrefixKeys {

    private PrefixKeys() {
    }

    /**
     * @param tokens    the prompt's token ids
     * @param blockSize the engine's KV block size (from its load endpoint)
     * @param cacheSalt the tenant's cache salt, exactly as the engine receives it
     * @param depth     blocks the key covers at most
     * @return the hash of block {@code min(depth, full blocks) - 1}, or null when there is no full block
     */
    public static BlockHash key(int[] tokens, int blockSize, String cacheSalt, int depth) {
        Objects.requireNonNull(tokens, "tokens");
        if (depth < 1) {
            throw new IllegalArgumentException("depth must be >= 1, was " + depth);
        }
        int length = Math.min(tokens.length, depth * blockSize);
        BlockHash[] hashes = BlockHasher.hashFullBlocks(tokens, length, blockSize, cacheSalt);
        return hashes.length == 0 ? null : hashes[hashes.length - 1];
    }

    /** {@link #key} with the salt the engine gets for {@code tenant} ({@link TenantConfig#cacheSalt()}). */
    public static BlockHash key(int[] tokens, int blockSize, TenantConfig tenant, int depth) {
        return key(tokens, blockSize, tenant.cacheSalt(), depth);
    }

    /** The hash's first 64 bits, as a position on the ring. */
    public static long position(BlockHash hash) {
        return hash.w0();
    }
}
