package io.fairlane.engine.exec;

import io.fairlane.engine.model.ModelConfig;

/**
 * Geometry of a backend's paged KV store. Each layer holds a K and a V array of
 * {@code blocks × blockSize × kvHeads × headDim} elements; a block therefore costs
 * {@code 2 × layers × blockSize × kvHeads × headDim × bytesPerElement} bytes, which is what the KV block pool is
 * sized by.
 *
 * @param layers          decoder layers
 * @param kvHeads         KV heads per layer
 * @param headDim         elements per head
 * @param blockSize       token positions per block
 * @param bytesPerElement 4 for the CPU backend's f32 store, 2 for a bf16/f16 store
 */
public record KvLayout(int layers, int kvHeads, int headDim, int blockSize, int bytesPerElement) {

    public KvLayout {
        if (layers <= 0 || kvHeads <= 0 || headDim <= 0 || blockSize <= 0 || bytesPerElement <= 0) {
            throw new IllegalArgumentException("invalid KV layout: layers=" + layers + " kvHeads=" + kvHeads
                    + " headDim=" + headDim + " blockSize=" + blockSize + " bytes=" + bytesPerElement);
        }
    }

    public static KvLayout of(ModelConfig config, int blockSize, int bytesPerElement) {
        return new KvLayout(config.layers(), config.kvHeads(), config.headDim(), blockSize, bytesPerElement);
    }

    /** Elements of K (or of V) one token position holds in one layer. */
    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Bytes of one block over all layers, K and V. */
    public long bytesPerBlock() {
        return 2L * layers * blockSize * kvDim() * bytesPerElement;
    }

    /** Blocks needed to hold {@code tokens} positions. */
    public int blocksFor(int tokens) {
        return (tokens + blockSize - 1) / blockSize;
    }
}
