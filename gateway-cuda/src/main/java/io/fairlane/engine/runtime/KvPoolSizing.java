package io.fairlane.engine.runtime;

import io.fairlane.engine.EngineException;
import io.fairlane.engine.EngineException.Kind;

/**
 * How many KV blocks an engine gets.
 *
 * <p>One block holds K and V for {@code blockSize} tokens in every layer:
 * {@code 2 × layers × kvHeads × headDim × blockSize × bytesPerElement} bytes. The pool is either the configured
 * {@code kvCacheBytes}, or a fraction of the memory still free after the weights are loaded. Either way it must
 * hold at least one sequence of the full context length, or the engine could admit a request it can never
 * finish; opening fails with the reason instead.
 */
final class KvPoolSizing {

    private KvPoolSizing() {
    }

    /** Bytes of one block. */
    static long bytesPerBlock(int layers, int kvHeads, int headDim, int blockSize, int bytesPerElement) {
        if (layers <= 0 || kvHeads <= 0 || headDim <= 0 || blockSize <= 0 || bytesPerElement <= 0) {
            throw new IllegalArgumentException("KV geometry must be positive");
        }
        return 2L * layers * kvHeads * headDim * blockSize * bytesPerElement;
    }

    /**
     * @param modelId          for messages
     * @param configuredBytes  {@code kvCacheBytes} from the configuration; 0 means "size from free memory"
     * @param freeBytes        memory free for the pool (after weights)
     * @param fraction         share of {@code freeBytes} to take when sizing from free memory
     * @param bytesPerBlock    see {@link #bytesPerBlock}
     * @param contextLength    the model's context length
     * @param blockSize        tokens per block
     * @return the number of blocks
     * @throws EngineException {@code UNAVAILABLE} when the pool cannot hold one full-length sequence, or the
     *         configured size exceeds what is free
     */
    static int blocks(String modelId, long configuredBytes, long freeBytes, double fraction, long bytesPerBlock,
                      int contextLength, int blockSize) {
        long budget;
        if (configuredBytes > 0) {
            if (configuredBytes > freeBytes) {
                throw new EngineException(Kind.UNAVAILABLE, "model " + modelId + ": kvCacheBytes " + configuredBytes
                        + " exceeds the " + freeBytes + " bytes free", null);
            }
            budget = configuredBytes;
        } else {
            budget = (long) (freeBytes * fraction);
        }
        long blocks = Math.min(Integer.MAX_VALUE, budget / bytesPerBlock);
        int needed = (contextLength + blockSize - 1) / blockSize;
        if (blocks < needed) {
            throw new EngineException(Kind.UNAVAILABLE, "model " + modelId + ": a KV pool of " + budget
                    + " bytes holds " + blocks + " blocks of " + blockSize + " tokens, fewer than the " + needed
                    + " one sequence of the full context (" + contextLength + " tokens) needs; raise kvCacheBytes"
                    + " or the memory available", null);
        }
        return (int) blocks;
    }
}
