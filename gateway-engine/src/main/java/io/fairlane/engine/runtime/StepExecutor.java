package io.fairlane.engine.runtime;

import io.fairlane.engine.exec.BatchInput;
import io.fairlane.engine.exec.ExecutionBackend;
import io.fairlane.engine.exec.PendingStep;
import io.fairlane.engine.exec.StepResult;
import io.fairlane.engine.kv.BlockCopy;
import java.util.List;
import java.util.Objects;

/**
 * What the engine loop needs from a backend: block copies, forward steps, embeddings. {@link #of} adapts an
 * {@link ExecutionBackend}; tests implement it with a toy model whose outputs depend on every KV slot it reads,
 * which no real backend could show as plainly. Called from
 * the engine loop thread only.
 */
interface StepExecutor extends AutoCloseable {

    /** Runs {@code copies} (copy on write), then one forward step over {@code batch}. */
    StepResult step(List<BlockCopy> copies, BatchInput batch);

    /**
     * Queues {@code copies} and one forward step and returns before the step has run where the backend allows; its
     * decodes may take their token from what the previously submitted step sampled
     * ({@link io.fairlane.engine.exec.SequenceInput#sampledBy}) when {@link #feedsSampledTokens()}. The default runs
     * the step at once.
     */
    default PendingStep submit(List<BlockCopy> copies, BatchInput batch) {
        StepResult result = step(copies, batch);
        return () -> result;
    }

    /** Whether {@link #submit} reads decode tokens sampled by the previous step on the device. */
    default boolean feedsSampledTokens() {
        return false;
    }

    /** Mean-pooled final hidden state of {@code tokens}, not normalised, without touching the paged KV store. */
    float[] embed(int[] tokens);

    long deviceMemoryUsedBytes();

    @Override
    void close();

    static StepExecutor of(ExecutionBackend backend) {
        Objects.requireNonNull(backend, "backend");
        return new StepExecutor() {
            @Override
            public StepResult step(List<BlockCopy> copies, BatchInput batch) {
                for (BlockCopy c : copies) {
                    backend.copyBlock(c.source(), c.target());
                }
                return backend.step(batch);
            }

            @Override
            public PendingStep submit(List<BlockCopy> copies, BatchInput batch) {
                for (BlockCopy c : copies) {
                    backend.copyBlock(c.source(), c.target());
                }
                return backend.submit(batch);
            }

            @Override
            public boolean feedsSampledTokens() {
                return backend.feedsSampledTokens();
            }

            @Override
            public float[] embed(int[] tokens) {
                return backend.embed(tokens);
            }

            @Override
            public long deviceMemoryUsedBytes() {
                return backend.deviceMemoryUsedBytes();
            }

            @Override
            public void close() {
                backend.close();
            }

            @Override
            public String toString() {
                return backend.toString();
            }
        };
    }
}
