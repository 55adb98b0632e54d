package io.fairlane.engine.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The CPU backend's paged KV cache, off-heap f32. Per layer a K and a V segment of
 * {@code [blocks, blockSize, kvHeads, headDim]}; position p of a sequence lives at slot {@code p % blockSize} of
 * block {@code blockTable[p / blockSize]}. Which block belongs to whom is decided by the block pool outside.
 *
 * <p>Confined to the engine loop thread, except that one step's workers write disjoint slots and read the
 * positions the step's attention needs.
 */
final class PagedKvStore implements AutoCloseable {

    final int layers;
    final int blocks;
    final int blockSize;
    final int kvDim;
    private final Arena arena;
    /** Per layer {@code [blocks, blockSize, kvDim]} f32. */
    final MemorySegment[] k;
    /** Per layer {@code [blocks, blockSize, kvDim]} f32. */
    final MemorySegment[] v;

    PagedKvStore(int layers, int blocks, int blockSize, int kvDim) {
        if (layers <= 0 || blocks <= 0 || blockSize <= 0 || kvDim <= 0) {
            throw new IllegalArgumentException("invalid KV store: layers=" + layers + " blocks=" + blocks
                    + " blockSize=" + blockSize + " kvDim=" + kvDim);
        }
        this.layers = layers;
        this.blocks = blocks;
        this.blockSize = blockSize;
        this.kvDim = kvDim;
        this.arena = Arena.ofShared();
        long bytes = (long) blocks * blockSize * kvDim * 4;
        this.k = new MemorySegment[layers];
        this.v = new MemorySegment[layers];
        try {
            for (int l = 0; l < layers; l++) {
                k[l] = arena.allocate(bytes, 64);
                v[l] = arena.allocate(bytes, 64);
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            arena.close();
            throw e;
        }
    }

    /** Element index of (block, slot) in a layer's segment. */
    long offset(int block, int slot) {
        return ((long) block * blockSize + slot) * kvDim;
    }

    /** Element index of position {@code p} of a sequence with {@code blockTable}. */
    long offset(int[] blockTable, int p) {
        return offset(blockTable[p / blockSize], p % blockSize);
    }

    void copyBlock(int source, int target) {
        if (source < 0 || source >= blocks || target < 0 || target >= blocks) {
            throw new IllegalArgumentException("block copy " + source + " -> " + target + " outside [0, " + blocks
                    + ")");
        }
        long bytes = (long) blockSize * kvDim * 4;
        for (int l = 0; l < layers; l++) {
            MemorySegment.copy(k[l], offset(source, 0) * 4, k[l], offset(target, 0) * 4, bytes);
            MemorySegment.copy(v[l], offset(source, 0) * 4, v[l], offset(target, 0) * 4, bytes);
        }
    }

    long bytes() {
        return 2L * layers * blocks * blockSize * kvDim * 4;
    }

    @Override
    public void close() {
        arena.close();
    }
}
