package io.fairlane.engine.runtime;

import io.fairlane.engine.EmbeddingResult;
import io.fairlane.engine.PreparedPrompt;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Computes an embeddings request the batch scheduler dispatched: per input, the backend's mean final hidden
 * state (computed beside the paged KV cache, never in it), cut to the requested dimensions and L2-normalised.
 *
 * <p>Confined to the engine loop thread.
 */
final class EmbeddingRunner {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingRunner.class);

    private final String modelId;
    private final StepExecutor executor;
    private final JobSettlement settlement;
    private final EngineCounters counters;

    EmbeddingRunner(String modelId, StepExecutor executor, JobSettlement settlement, EngineCounters counters) {
        this.modelId = Objects.requireNonNull(modelId, "modelId");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.settlement = Objects.requireNonNull(settlement, "settlement");
        this.counters = Objects.requireNonNull(counters, "counters");
    }

    void run(EmbeddingJob job) {
        try {
            List<float[]> vectors = new ArrayList<>(job.request.inputs().size());
            for (PreparedPrompt input : job.request.inputs()) {
                float[] pooled = executor.embed(input.tokenIds());
                int dims = job.request.dimensions() > 0 ? job.request.dimensions() : pooled.length;
                vectors.add(normalise(Arrays.copyOf(pooled, dims)));
            }
            counters.promptTokensComputed += job.totalTokens;
            settlement.completeEmbedding(job, new EmbeddingResult(vectors, job.totalTokens));
        } catch (RuntimeException e) {
            LOG.error("embedding of {} failed on model {}", job, modelId, e);
            settlement.failEmbedding(job, e);
        }
    }

    /** L2-normalises in place (a zero vector stays zero). */
    static float[] normalise(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        if (sum > 0) {
            float scale = (float) (1 / Math.sqrt(sum));
            for (int i = 0; i < v.length; i++) {
                v[i] *= scale;
            }
        }
        return v;
    }

    @Override
    public String toString() {
        return "EmbeddingRunner[" + modelId + "]";
    }
}
