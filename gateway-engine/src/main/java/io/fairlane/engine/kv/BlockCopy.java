package io.fairlane.engine.kv;

/**
 * A copy the backend must perform before the next forward step: every layer's K and V page of block
 * {@code source} into block {@code target}. Arises when a forked sequence first writes into a partial block
 * it still shares (copy on write).
 */
public record BlockCopy(int source, int target) {

    public BlockCopy {
        if (source < 0 || target < 0 || source == target) {
            throw new IllegalArgumentException("invalid block copy " + source + " -> " + target);
        }
    }
}
