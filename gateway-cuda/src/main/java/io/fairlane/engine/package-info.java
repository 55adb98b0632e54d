/**
 * The inference engine's public API: what the gateway submits ({@link io.fairlane.engine.GenerationRequest},
 * {@link io.fairlane.engine.EmbeddingRequest}) and what streams back ({@link io.fairlane.engine.TokenEvent}).
 *
 * <p>Everything else in this module (model loading, tokenizer, chat templates, KV block pool, batching,
 * CPU and CUDA backends) lives in sub-packages and is reached only through
 * {@link io.fairlane.engine.InferenceEngine}.
 */
package io.fairlane.engine;
