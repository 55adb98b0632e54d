/**
 * Hugging Face model directories: {@code config.json} and {@code generation_config.json}
 * ({@link io.fairlane.engine.model.ModelConfig}), safetensors weights memory-mapped through
 * {@code java.lang.foreign} with every header checked before use ({@link io.fairlane.engine.model.Weights}),
 * the decoder's tensors bound by name and shape ({@link io.fairlane.engine.model.ModelWeights}), and random-weight
 * synthetic models of named shapes ({@link io.fairlane.engine.model.SyntheticModels}) for tests, benchmarks and the
 * embedded default.
 */
package io.fairlane.engine.model;
