package io.fairlane.gateway.lane;

import io.fairlane.gateway.config.ModelConfig;
import java.util.Objects;

/**
 * A model id and the pool of capacity behind it.
 *
 * @param config  the model's configuration
 * @param backend what serves it
 * @param created Unix seconds when the lane opened ({@code created} in {@code /v1/models})
 */
public record Lane(ModelConfig config, Backend backend, long created) {

    public Lane {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(backend, "backend");
    }

    public String id() {
        return config.id();
    }
}
