package io.fairlane.engine.runtime;

import java.util.List;

/**
 * What one engine step does, as the batch scheduler decided it: plain data for the loop to execute.
 *
 * @param chunks       sequences to run and how many of their tokens, decodes first
 * @param embeddings   embedding jobs dispatched this step
 * @param started      generations whose first tokens are scheduled for the first time (emit {@code Scheduled})
 * @param abandoned    work the queue handed out after its client had gone (emit nothing more but the end)
 * @param preemptions  choices preempted while planning this step
 */
record StepPlan(List<Chunk> chunks, List<EmbeddingJob> embeddings, List<GenerationJob> started,
                List<Work> abandoned, int preemptions) {

    StepPlan {
        chunks = List.copyOf(chunks);
        embeddings = List.copyOf(embeddings);
        started = List.copyOf(started);
        abandoned = List.copyOf(abandoned);
    }

    boolean isEmpty() {
        return chunks.isEmpty() && embeddings.isEmpty() && started.isEmpty() && abandoned.isEmpty();
    }

    int batchTokens() {
        return chunks.stream().mapToInt(Chunk::tokens).sum();
    }

    /** {@code tokens} tokens of {@code choice} starting at its first uncomputed position. */
    record Chunk(Choice choice, int tokens) {
    }
}
