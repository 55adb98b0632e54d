/**
 * The inference engine's public API: what the gateway submits ({@link io.fairlane.engine.GenerationRequest},
 * {@link io.fairlane.engine.EmbeddingRequest}) and what streams back ({@link io.fairlane.engine.TokenEvent}).
 *
 * <p>Everything else in this module (model loading, tokenizer, chat templates, KV block pool, sampling and
 * constrained decoding, batching, the CPU backend) lives in sub-packages and is reached only through
 * {@link io.fairlane.engine.InferenceEngine}. Other backends (CUDA, in the {@code gateway-cuda} module) plug in
 * through {@link io.fairlane.engine.exec.ExecutionBackendProvider}.
 */
package io.fairlane.engine;
