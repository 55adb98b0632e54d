package io.fairlane.engine;

import io.fairlane.scheduler.RateLimitStatus;
import io.fairlane.scheduler.SchedulerSnapshot;
import io.fairlane.scheduler.TenantSpec;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A loaded model with its batching loop. One engine serves one model on one backend.
 *
 * <p>Threading: {@link #prepare}, {@link #submit}, {@link #abort} and {@link #snapshot} may be called from
 * any thread and never block on a forward pass. Token events are delivered on the engine's loop thread
 * through the {@link TokenSink} given at submission; the sink must hand them off and return at once.
 */
public interface InferenceEngine extends AutoCloseable {

    ModelInfo model();

    /**
     * Renders (for chat) and tokenizes a prompt. Cheap enough for an I/O thread on ordinary prompts; the
     * gateway uses the token count for validation, cost estimates and usage.
     *
     * @throws EngineException with {@link EngineException.Kind#INVALID_REQUEST} for a prompt the model's
     *         template or tokenizer refuses
     */
    PreparedPrompt prepare(Prompt prompt);

    /**
     * {@link #prepare} with token ids already computed by the same prompt path elsewhere (a router holding the
     * engines' key): the ids are checked against the vocabulary and used as they are, nothing is tokenised again;
     * the prompt's text is still rendered for {@code echo} and thinking detection. Engines that cannot reuse ids
     * prepare as usual.
     *
     * @param tokenIds the prompt's ids, non-empty; for a chat, of the rendered template; for text, with the
     *                 tokenizer's special tokens
     */
    default PreparedPrompt prepare(Prompt prompt, int[] tokenIds) {
        return prepare(prompt);
    }

    /**
     * The {@link PromptTokenizer#fingerprint} of this engine's prompt path: ids computed elsewhere by a path with
     * another fingerprint are not this model's prompt. Empty when not known.
     */
    default String promptFingerprint() {
        return "";
    }

    /**
     * Queues a generation. Admission happens here: the engine's waiting queue is a tenant scheduler.
     *
     * @throws EngineException {@link EngineException.Kind#REJECTED} when the tenant's queue or rate limit
     *         refuses the work (carries the scheduler's answer), {@link EngineException.Kind#CONTEXT_LENGTH_EXCEEDED}
     *         or {@link EngineException.Kind#INVALID_REQUEST} for a request the model cannot serve
     */
    GenerationStream submit(GenerationRequest request, TokenSink sink);

    /** Stops a request at once and frees its KV blocks; a no-op for unknown or finished ids. */
    void abort(String requestId);

    /**
     * Computes embeddings (mean-pooled final hidden state, L2-normalised) for each input.
     * Completes exceptionally with {@link EngineException} on bad input or rejection.
     */
    CompletableFuture<EmbeddingResult> embed(EmbeddingRequest request);

    EngineSnapshot snapshot();

    /**
     * The waiting queue's per-tenant state (queue depth, the policy's deficit or counter), for the
     * gateway's scheduler gauges; empty for engines without a tenant scheduler. Any thread; never blocks on
     * a forward pass (tenant schedulers are thread-safe).
     */
    default Optional<SchedulerSnapshot> schedulerSnapshot() {
        return Optional.empty();
    }

    /**
     * The tenant's rate-limit position in the engine's waiting queue, for the {@code x-ratelimit-*} headers
     * the gateway sends on every response. Engines without rate limits answer {@link RateLimitStatus#UNLIMITED}.
     */
    default RateLimitStatus rateLimitStatus(String tenant) {
        return RateLimitStatus.UNLIMITED;
    }

    /** Replaces the tenant set of the engine's waiting queue (configuration reload). */
    void updateTenants(List<TenantSpec> tenants);

    /** Stops the loop, fails queued and running requests, frees host and device memory. */
    @Override
    void close();
}
