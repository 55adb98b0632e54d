package io.fairlane.engine.cuda;

/**
 * The paged KV cache on the device: one allocation laid out [layers][K, V][num_blocks][block_size][Hkv][D] bf16,
 * so layer l's K pages start at {@link #keys(int)} and block b's slot o of head h sits at element
 * ((b * block_size + o) * Hkv + h) * D. The block ids are the engine's block pool ids: the host-side pool decides
 * which block holds which tokens; this class only holds the bytes.
 */
final class DeviceKvCache implements AutoCloseable {

    private final DeviceRuntime device;
    private final long base;
    private final int layers;
    private final int numBlocks;
    private final int blockSize;
    private final long blockElements;
    private boolean closed;

    DeviceKvCache(DeviceRuntime device, CudaModelSpec spec, int numBlocks, int blockSize) {
        if (numBlocks <= 0 || blockSize <= 0) {
            throw new IllegalArgumentException("KV cache needs blocks > 0 and block size > 0, was " + numBlocks
                    + " x " + blockSize);
        }
        this.device = device;
        this.layers = spec.layers();
        this.numBlocks = numBlocks;
        this.blockSize = blockSize;
        this.blockElements = (long) blockSize * spec.kvHeads() * spec.headDim();
        this.base = device.allocate(bytesPerBlock(spec, blockSize) * numBlocks, "KV cache (" + numBlocks + " blocks)");
    }

    /** Device bytes one block takes across all layers, K and V. */
    static long bytesPerBlock(CudaModelSpec spec, int blockSize) {
        return 2L * spec.layers() * blockSize * spec.kvHeads() * spec.headDim() * 2;
    }

    long base() {
        return base;
    }

    long keys(int layer) {
        return base + (2L * layer) * numBlocks * blockElements * 2;
    }

    long values(int layer) {
        return base + (2L * layer + 1) * numBlocks * blockElements * 2;
    }

    int numBlocks() {
        return numBlocks;
    }

    int blockSize() {
        return blockSize;
    }

    int layers() {
        return layers;
    }

    long blockElements() {
        return blockElements;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            device.free(base);
        }
    }
}
