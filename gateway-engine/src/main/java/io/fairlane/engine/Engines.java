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
}
