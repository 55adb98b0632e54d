package io.fairlane.gateway.config;

import java.util.Objects;

/**
 * One problem in a configuration file.
 *
 * @param path    where, in the notation {@code tenants[0].api_keys[1]}; empty for the document itself
 * @param message what is wrong and, where it helps, what is expected
 */
public record ConfigError(String path, String message) {

    public ConfigError {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(message, "message");
    }

    @Override
    public String toString() {
        return path.isEmpty() ? message : path + ": " + message;
    }
}
