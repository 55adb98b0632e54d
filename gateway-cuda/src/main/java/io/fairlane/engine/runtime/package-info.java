/**
 * The local engine: continuous batching over the paged KV cache, fed by a tenant scheduler.
 *
 * <p>{@link io.fairlane.engine.runtime.LocalEngine} implements {@link io.fairlane.engine.InferenceEngine}. One
 * loop thread per engine runs schedule → forward → sample → emit. The
 * {@link io.fairlane.engine.runtime.BatchScheduler} packs each step (decodes first, then chunked prefills under a
 * token budget), admits new work from the waiting queue — a {@link io.fairlane.scheduler.TenantScheduler} — and
 * preempts by recompute when KV blocks run out.
 *
 * <p>The loop reaches the model only through four small ports, so that it can be tested against a toy model
 * whose outputs depend on every KV slot it reads: {@link io.fairlane.engine.runtime.StepExecutor} (forward
 * steps, block copies, embeddings), {@link io.fairlane.engine.runtime.SamplerFactory}, {@link
 * io.fairlane.engine.runtime.TextCodec} (incremental detokenization) and {@link
 * io.fairlane.engine.runtime.PromptPreparer} (chat templates and tokenization). {@code LocalEngines} binds them
 * to the CPU or CUDA backend, the sampler and the tokenizer of a loaded model.
 *
 * <p>See {@code docs/kv-cache.md}.
 */
package io.fairlane.engine.runtime;
