package io.fairlane.gateway.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fairlane.gateway.store.StoreSettings;
import java.util.List;
import java.util.Map;
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

    /**
     * The {@code storage} section ({@code section}, null when absent), read by {@link StoreSettings#fromMap}, which
     * knows its rules and names every problem by its path; problems go to {@code errors}.
     */
    @SuppressWarnings("unchecked")
    static StoreConfig read(JsonNode section, Map<String, String> environment, List<ConfigError> errors) {
        if (section == null) {
            return NONE;
        }
        if (!section.isObject()) {
            errors.add(new ConfigError("storage", "expected a mapping, got " + ConfigNode.kind(section)));
            return NONE;
        }
        try {
            return new StoreConfig(Optional.of(StoreSettings.fromMap(new ObjectMapper().convertValue(section,
                    Map.class), environment)));
        } catch (StoreSettings.Invalid e) {
            e.problems().forEach(p -> errors.add(new ConfigError(p.path(), p.message())));
            return NONE;
        }
    }
}
