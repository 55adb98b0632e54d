package io.fairlane.engine.runtime;

/**
 * Running totals for the engine's snapshot: prompt tokens computed (prefill and embeddings), output tokens
 * sampled, the size of the last forward step, and how many steps were queued while another was in flight.
 *
 * <p>Confined to the engine loop thread: the parts that step, sample and embed add to it, and the snapshot
 * publisher reads it on the same thread.
 */
final class EngineCounters {

    long promptTokensComputed;
    long outputTokens;
    int lastBatchSize;
    /** Steps submitted while the previous one was still in flight (the loop running ahead of the device). */
    volatile long stepsAhead;

    @Override
    public String toString() {
        return "EngineCounters[prompt=" + promptTokensComputed + ", output=" + outputTokens + ", lastBatch="
                + lastBatchSize + "]";
    }
}
