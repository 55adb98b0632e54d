package io.fairlane.gateway;

import io.fairlane.engine.Engines;
import io.fairlane.engine.InferenceEngine;
import io.fairlane.gateway.config.LocalModelConfig;
import io.fairlane.scheduler.SchedulerStats;
import io.fairlane.scheduler.TenantSpec;
import java.util.List;

/**
 * Opens the engine of a local model. Production opens the real engine ({@link Engines#open}); tests put
 * a fake in its place.
 */
@FunctionalInterface
public interface EngineOpener {

    InferenceEngine open(LocalModelConfig model, List<TenantSpec> tenants, SchedulerStats stats);

    static EngineOpener engines() {
        return (model, tenants, stats) -> Engines.open(model.toEngineConfig(tenants), stats);
    }
}
