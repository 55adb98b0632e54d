package io.fairlane.engine.runtime;

/**
 * Running totals for the engine's snapshot: prompt tokens computed (prefill and embeddings), output tokens
 * sampled, and the size of the last forward step.
 *
 * <p>Confined to the engine loop thread: the parts that step, sample and embed add to it, and the snapshot
 * publisher reads it on the same thread.
 */
final class EngineCounters {

    long promptTokensComputed;
    long outputTokens;
    int lastBatchSize;

    @Override
    public String toString() {
        return "EngineCounters[prompt=" + promptTokensComputed + ", output=" + outputTokens + ", lastBatch="
                + lastBatchSize + "]";
    }
}
