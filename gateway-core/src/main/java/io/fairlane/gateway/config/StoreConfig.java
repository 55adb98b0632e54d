package io.fairlane.gateway.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.store.StoreSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code storage} section: where the gateway keeps what must outlive the process (uploaded files, batches and
 * their progress, stored responses). Shared by every feature that keeps durable state; the gateway opens one
 * {@link io.fairlane.gateway.store.Database} from it at start.
 *
 * <p>The section is read by {@link StoreSettings#fromMap}, which owns its rules (a directory, or a PostgreSQL
 * server); this record only adds the default and the way to turn durable state off. Without the section the state
 * lives in {@code $XDG_DATA_HOME/fairlane} ({@code ~/.local/share/fairlane}): not the cache directory, which holds
 * only what can be regenerated. {@code storage: {enabled: false}} runs without durable state (a stateless
 * router replica): the features that need it answer 503 saying so.
 *
 * @param settings    the store to open; empty when durable state is turned off
 * @param environment the environment the configuration was read in, where {@code password_env} is looked up
 */
public record StoreConfig(Optional<StoreSettings> settings, Map<String, String> environment) {

    /** No durable state: what configurations built in code get unless they ask for a store. */
    public static final StoreConfig NONE = new StoreConfig(Optional.empty());

    private static final ObjectMapper PLAIN = new ObjectMapper();

    public StoreConfig {
        Objects.requireNonNull(settings, "settings");
        environment = Map.copyOf(environment);
    }

    /** {@code settings}, with the password looked up in the process's environment. */
    public StoreConfig(Optional<StoreSettings> settings) {
        this(settings, System.getenv());
    }

    @Override
    public String toString() {
        return "StoreConfig[" + settings + "]"; // never the environment: it may hold the password
    }

    /** {@code $XDG_DATA_HOME/fairlane}, else {@code ~/.local/share/fairlane}. */
    static Path defaultDirectory(Map<String, String> environment, Path home) {
        String xdg = environment.get("XDG_DATA_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg).resolve("fairlane");
        }
        return home.resolve(".local").resolve("share").resolve("fairlane");
    }

    /** An embedded store in {@code directory}. */
    public static StoreConfig embedded(Path directory) {
        return new StoreConfig(Optional.of(new StoreSettings.Embedded(directory)));
    }

    /**
     * Reads the section (absent: an embedded store in the default directory), adding every problem to {@code errors}
     * with its path.
     */
    static StoreConfig read(Optional<JsonNode> section, Map<String, String> environment, Path home,
                            List<ConfigError> errors) {
        Path defaultDirectory = defaultDirectory(environment, home);
        if (section.isEmpty()) {
            return embedded(defaultDirectory);
        }
        JsonNode node = section.get();
        if (!node.isObject()) {
            errors.add(new ConfigError("storage", "expected a mapping, got " + ConfigNode.kind(node)));
            return NONE;
        }
        JsonNode enabled = node.get("enabled");
        if (enabled != null) {
            if (!enabled.isBoolean()) {
                errors.add(new ConfigError("storage.enabled", "expected true or false, got " + ConfigNode.kind(enabled)));
                return NONE;
            }
            if (!enabled.booleanValue()) {
                if (node.size() > 1) {
                    errors.add(new ConfigError("storage", "enabled: false takes no other keys"));
                }
                return NONE;
            }
            node = node.deepCopy();
            ((ObjectNode) node).remove("enabled");
            if (node.isEmpty()) {
                return embedded(defaultDirectory);
            }
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = PLAIN.convertValue(node, Map.class);
        try {
            return new StoreConfig(Optional.of(StoreSettings.fromMap(map, environment)), environment);
        } catch (StoreSettings.Invalid e) {
            for (StoreSettings.Problem p : e.problems()) {
                errors.add(new ConfigError(p.path(), p.message()));
            }
            return NONE;
        }
    }
}
