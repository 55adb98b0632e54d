package io.fairlane.engine.exec;

import io.fairlane.engine.model.ModelConfig;

/**
 * Runs a model's forward steps on one kind of hardware. A backend owns the model's weights (in host memory for
 * the CPU, uploaded for CUDA) and a paged KV store of {@link #kvBlocks()} blocks laid out as {@link #kvLayout()}
 * says; which block belongs to which sequence is decided outside, by the KV block pool, and passed in each
 * step's block tables.
 *
 * <p>Threading: after opening, a backend is confined to one thread, the engine loop (it may use worker threads
 * of its own inside a call).
 *
 * <p>Opening: through an {@link ExecutionBackendProvider} found by name ({@code cpu} ships with the engine,
 * {@code cuda} with the {@code gateway-cuda} module), which takes ownership of an opened
 * {@link io.fairlane.engine.model.Model}; closing the backend closes the model. The interface is open rather than
 * sealed because its implementations live in different modules (docs/adr/0005).
 */
public interface ExecutionBackend extends AutoCloseable {

    /** {@code cpu} or {@code cuda}. */
    String name();

    /** Hardware and configuration in words, for the startup log ("CPU: 16 threads, 256-bit vectors"). */
    String describe();

    ModelConfig config();

    /** Geometry and bytes per block of the KV store. */
    KvLayout kvLayout();

    /** Blocks in the KV store: the block pool manages ids {@code [0, kvBlocks())}. */
    int kvBlocks();

    /**
     * Runs one forward step: writes the K and V of every input token into its sequence's blocks and produces what
     * each sequence asked for.
     *
     * @throws IllegalArgumentException when a sequence's tokens, positions or block table are invalid (out of the
     *         vocabulary, past the context length, blocks missing or out of range); nothing is written then
     */
    StepResult step(BatchInput batch);

    /**
     * Queues one forward step and returns before it has run where the hardware allows, so the caller can prepare
     * (and submit) the next step meanwhile: the overlap of host scheduling with device work. A decode sequence of
     * the next step may then name its token as "what sequence i of the previous step sampled"
     * ({@link SequenceInput#sampledBy}) on a backend that {@linkplain #feedsSampledTokens feeds sampled tokens}
     * on the device. Steps run in submission order; each must be awaited.
     *
     * <p>The default runs the step synchronously (the CPU backend: its step is host work anyway) and refuses
     * tokens taken from the previous step.
     *
     * @throws IllegalArgumentException as {@link #step}, and for a {@code sampledBy} token this backend cannot
     *         resolve; nothing is queued then
     */
    default PendingStep submit(BatchInput batch) {
        for (SequenceInput s : batch.sequences()) {
            for (int t : s.tokens()) {
                if (t < 0) {
                    throw new IllegalArgumentException("the " + name() + " backend does not read tokens sampled by"
                            + " the previous step; token " + t + " needs the id on the host");
                }
            }
        }
        StepResult result = step(batch);
        return () -> result;
    }

    /** Whether {@link #submit} accepts {@link SequenceInput#sampledBy} tokens, read on the device. */
    default boolean feedsSampledTokens() {
        return false;
    }

    /**
     * Copies every layer's K and V of block {@code source} into block {@code target} (copy on write when a forked
     * sequence first writes into a block it shares).
     */
    void copyBlock(int source, int target);

    /**
     * The mean over {@code tokens} of the final hidden state (after the final norm), not normalised, computed
     * without touching the paged KV store: for embeddings.
     */
    float[] embed(int[] tokens);

    /** Bytes of device memory held: 0 on the CPU. */
    long deviceMemoryUsedBytes();

    /** Frees the KV store and weights and closes the model. Idempotent. */
    @Override
    void close();
}
