/**
 * The local engine: continuous batching over the paged KV cache, fed by a tenant scheduler.
 *
 * <p>{@link io.fairlane.engine.runtime.LocalEngine} implements {@link io.fairlane.engine.InferenceEngine} and
 * runs one loop thread per engine: abort → schedule → forward → sample → emit. It wires parts with one job each:
 * {@code RequestIntake} admits requests on the caller's thread (validation, prompt hashing, the offer to the
 * waiting queue); {@code AbortRequests} carries aborts to the loop; the {@code BatchScheduler} packs each step
 * (decodes first, then chunked prefills under a token budget; flex-tier work last, in what is left and never beside
 * a live prefill), admits new work from the waiting queue — a {@link io.fairlane.scheduler.TenantScheduler} — and
 * preempts by recompute when KV blocks run out, a live request finds its room held by flex work, or a tenant under
 * its fair share could not start ({@code Preemptions} picks whom and keeps the books, {@code QueuedTenants} says who
 * is waiting); {@code ForwardStep} runs the step through the backend and takes its outputs in, one step at a time or,
 * on a backend that feeds sampled tokens on the device, with the next step already queued; {@code TokenAcceptor}
 * detokenises, stop-checks and emits each token; {@code Forker} forks the choices of an {@code n > 1} request;
 * {@code EmbeddingRunner} serves embeddings; {@code JobSettlement} ends requests and settles them with the tenant
 * scheduler; {@code SnapshotPublisher} keeps the gauges. Only the intake and the abort queue are touched by other
 * threads; everything else belongs to the loop thread.
 *
 * <p>The loop reaches the model through three small ports, so that it can be tested against a toy model whose
 * outputs depend on every KV slot it reads: {@link io.fairlane.engine.runtime.StepExecutor} (block copies,
 * forward steps over an {@link io.fairlane.engine.exec.BatchInput}, embeddings; {@code StepExecutor.of} adapts
 * an {@link io.fairlane.engine.exec.ExecutionBackend}), {@link io.fairlane.engine.runtime.TextCodec}
 * (incremental detokenization) and {@link io.fairlane.engine.runtime.PromptPreparer}, whose one production
 * implementation, {@code PromptEncoder}, is the only prompt path (chat template, tokenizer, the refusals clients
 * see). Sampling state, stop conditions and stop strings are the {@code io.fairlane.engine.sampling} classes, so
 * the CPU and CUDA backends sample exactly as the tests' toy model does.
 *
 * <p>{@link io.fairlane.engine.runtime.LocalEngines} opens an engine from an {@link io.fairlane.engine.EngineConfig}
 * (the body of {@code Engines.open}). See {@code docs/kv-cache.md}.
 */
package io.fairlane.engine.runtime;
