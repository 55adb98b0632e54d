package io.fairlane.engine;

import io.fairlane.scheduler.SchedulerStats;
import java.util.Objects;

/** Opens local engines. */
public final class Engines {

    private Engines() {
    }

    /**
     * Loads the model (materialising a synthetic one first if needed), picks the backend, sizes the KV
     * block pool and starts the engine loop.
     *
     * @param config the engine's configuration
     * @param stats  receives the waiting queue's scheduling events (for per-tenant metrics)
     * @throws EngineException {@link EngineException.Kind#UNAVAILABLE} when the model cannot be loaded or the
     *         requested backend is not usable, with the reason
     */
    public static InferenceEngine open(EngineConfig config, SchedulerStats stats) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(stats, "stats");
        return io.fairlane.engine.runtime.LocalEngines.open(config, stats);
    }

    /**
     * The prompt path of the model {@code source} names, without its weights: its tokenizer.json and the chat
     * template of its tokenizer_config.json (for a synthetic model, the built-in tokenizer every synthetic model is
     * made with, written into the cache directory on first use). The same files the engine loads, so the same ids.
     *
     * @param modelId for messages
     * @throws EngineException {@link EngineException.Kind#UNAVAILABLE} when the tokenizer or template cannot be loaded
     */
    public static PromptTokenizer promptTokenizer(String modelId, EngineConfig.ModelSource source) {
        Objects.requireNonNull(modelId, "modelId");
        Objects.requireNonNull(source, "source");
        return io.fairlane.engine.runtime.LocalEngines.promptTokenizer(modelId, source);
    }
}
