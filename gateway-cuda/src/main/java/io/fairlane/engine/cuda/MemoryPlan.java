package io.fairlane.engine.cuda;

/**
 * How a device's memory is split between weights, per-step activations, a fixed reserve (cuBLAS workspace,
 * captured graphs, allocator slack) and the KV block pool, which takes the rest of the engine's budget.
 * The budget is a fraction of the memory free when the engine starts, so other processes on the GPU keep theirs.
 *
 * @param freeBytes       device memory free before loading
 * @param totalBytes      device memory in all
 * @param budgetBytes     what the engine may use: fraction x free
 * @param weightBytes     model weights
 * @param activationBytes per-step buffers for the configured batch limits
 * @param reserveBytes    fixed reserve
 * @param kvBytes         the KV pool: blocks x bytes per block
 * @param kvBlocks        blocks in the pool
 * @param blockSize       tokens per block
 */
public record MemoryPlan(long freeBytes, long totalBytes, long budgetBytes, long weightBytes, long activationBytes,
                         long reserveBytes, long kvBytes, int kvBlocks, int blockSize) {

    /** Workspace, graphs and slack kept out of the KV pool. */
    public static final long RESERVE_BYTES = 512L << 20;

    /**
     * @param requestedKvBytes a fixed KV pool size from the configuration, or 0 to take what the budget leaves
     * @param minBlocks        the fewest blocks the engine can work with
     * @throws IllegalStateException when the model or the requested pool does not fit, saying by how much
     */
    public static MemoryPlan plan(long freeBytes, long totalBytes, double fraction, long weightBytes,
                                  long activationBytes, long bytesPerBlock, int blockSize, long requestedKvBytes,
                                  int minBlocks) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("deviceMemoryFraction must be in (0, 1], was " + fraction);
        }
        if (bytesPerBlock <= 0 || blockSize <= 0 || minBlocks < 1) {
            throw new IllegalArgumentException("invalid KV block geometry");
        }
        long budget = (long) (freeBytes * fraction);
        long fixed = weightBytes + activationBytes + RESERVE_BYTES;
        long left = budget - fixed;
        long kvBytes = requestedKvBytes > 0 ? requestedKvBytes : Math.max(0, left);
        if (requestedKvBytes > 0 && requestedKvBytes > left) {
            throw new IllegalStateException("the configured KV cache of " + mib(requestedKvBytes) + " MiB does not fit:"
                    + " " + mib(budget) + " MiB budget (" + fraction + " of " + mib(freeBytes) + " MiB free) minus "
                    + mib(fixed) + " MiB for weights, activations and reserve leaves " + mib(Math.max(0, left)) + " MiB");
        }
        long blocks = kvBytes / bytesPerBlock;
        if (blocks < minBlocks && requestedKvBytes > 0) {
            throw new IllegalStateException("the configured KV cache of " + requestedKvBytes + " bytes holds " + blocks
                    + " blocks of " + bytesPerBlock + " bytes; at least " + minBlocks + " are needed");
        }
        if (blocks < minBlocks) {
            throw new IllegalStateException("not enough device memory for the KV cache: " + mib(budget) + " MiB budget ("
                    + fraction + " of " + mib(freeBytes) + " MiB free) minus " + mib(weightBytes) + " MiB weights, "
                    + mib(activationBytes) + " MiB activations and " + mib(RESERVE_BYTES) + " MiB reserve leaves room for "
                    + blocks + " KV blocks; at least " + minBlocks + " are needed."
                    + " Raise deviceMemoryFraction, lower maxBatchTokens or use a larger GPU");
        }
        int kvBlocks = (int) Math.min(Integer.MAX_VALUE, blocks);
        return new MemoryPlan(freeBytes, totalBytes, budget, weightBytes, activationBytes, RESERVE_BYTES,
                kvBlocks * bytesPerBlock, kvBlocks, blockSize);
    }

    private static long mib(long bytes) {
        return bytes >> 20;
    }

    /** One line for the startup log. */
    public String summary() {
        return "device memory plan: " + mib(budgetBytes) + " MiB budget of " + mib(freeBytes) + " MiB free ("
                + mib(totalBytes) + " MiB total): weights " + mib(weightBytes) + " MiB, activations "
                + mib(activationBytes) + " MiB, reserve " + mib(reserveBytes) + " MiB, KV cache " + mib(kvBytes)
                + " MiB = " + kvBlocks + " blocks of " + blockSize + " tokens (" + (long) kvBlocks * blockSize
                + " tokens)";
    }
}
