/**
 * The local engine: continuous batching over the paged KV cache, fed by a tenant scheduler.
 *
 * <p>{@link io.fairlane.engine.runtime.LocalEngine} implements {@link io.fairlane.engine.InferenceEngine}. One
 * loop thread per engine runs schedule → forward → sample → emit. The
 * {@link io.fairlane.engine.runtime.BatchScheduler} packs each step (decodes first, then chunked prefills under a
 * token budget), admits new work from the waiting queue — a {@link io.fairlane.scheduler.TenantScheduler} — and
 * preempts by recompute when KV blocks run out.
 *
 * <p>The loop reaches the model through three small ports, so that it can be tested against a toy model whose
 * outputs depend on every KV slot it reads: {@link io.fairlane.engine.runtime.StepExecutor} (block copies,
 * forward steps over an {@link io.fairlane.engine.exec.BatchInput}, embeddings; {@code StepExecutor.of} adapts
 * an {@link io.fairlane.engine.exec.ExecutionBackend}), {@link io.fairlane.engine.runtime.TextCodec}
 * (incremental detokenization) and {@link io.fairlane.engine.runtime.PromptPreparer} (chat templates and
 * tokenization). Sampling state, stop conditions and stop strings are the {@code io.fairlane.engine.sampling}
 * classes, so the CPU and CUDA backends sample exactly as the tests' toy model does.
 *
 * <p>See {@code docs/kv-cache.md}.
 */
package io.fairlane.engine.runtime;
