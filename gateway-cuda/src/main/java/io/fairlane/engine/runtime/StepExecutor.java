package io.fairlane.engine.runtime;

import io.fairlane.engine.kv.BlockCopy;
import java.util.List;

/**
 * Runs forward steps of one model on one backend over the paged KV cache. Called from the engine loop thread
 * only.
 */
interface StepExecutor extends AutoCloseable {

    /**
     * Copies KV blocks (copy on write), then runs one forward step over {@code chunks}.
     *
     * @return one logits row (vocabulary-sized) per chunk with {@link SequenceChunk#sample()}, in chunk order
     */
    float[][] forward(List<BlockCopy> copies, List<SequenceChunk> chunks);

    /**
     * The mean over positions of the final hidden state (after the final norm) for {@code tokens}, without
     * touching the paged KV cache. Not normalised.
     */
    float[] embed(int[] tokens);

    /** Bytes of device memory held (0 on the CPU). */
    default long deviceMemoryUsedBytes() {
        return 0;
    }

    @Override
    void close();
}
