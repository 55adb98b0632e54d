package io.fairlane.gateway.config;

import io.fairlane.gateway.store.StoreSettings;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code storage} section: where durable state lives, when the configuration names a place for it (see
 * {@link StoreSettings} and docs/adr/0006-durable-state.md). Read once at start; the gateway opens one
 * {@code Database} from it for every feature that keeps state and closes it at shutdown.
 *
 * @param settings a directory (embedded SQLite) or a PostgreSQL server; empty when the section is absent, in which
 *                 case each feature says what it does without one (stored responses are then kept in memory)
 */
public record StoreConfig(Optional<StoreSettings> settings) {

    /** No {@code storage} section. */
    public static final StoreConfig NONE = new StoreConfig(Optional.empty());

    public StoreConfig {
        Objects.requireNonNull(settings, "settings");
    }
}
