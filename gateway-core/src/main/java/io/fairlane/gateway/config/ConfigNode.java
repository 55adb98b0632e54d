package io.fairlane.gateway.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * A mapping of the configuration tree being read, with its path. Every getter records the key it read and
 * reports a problem into the shared error list instead of throwing, so one pass finds every error in the
 * file; {@link #finish()} then reports keys nobody read (usually typos).
 *
 * <p>Getters return the default when a value is missing or wrong; the caller never sees a half-valid
 * value without an error having been recorded.
 */
final class ConfigNode {

    private final JsonNode node;
    private final String path;
    private final List<ConfigError> errors;
    private final Set<String> read = new HashSet<>();

    ConfigNode(JsonNode node, String path, List<ConfigError> errors) {
        this.node = node;
        this.path = path;
        this.errors = errors;
    }

    String path() {
        return path;
    }

    String pathOf(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    void error(String key, String message) {
        errors.add(new ConfigError(key == null ? path : pathOf(key), message));
    }

    /** Whether the key is present and not null; counts as reading it. */
    boolean has(String key) {
        read.add(key);
        JsonNode v = node.get(key);
        return v != null && !v.isNull();
    }

    private JsonNode take(String key) {
        read.add(key);
        JsonNode v = node.get(key);
        return v == null || v.isNull() ? null : v;
    }

    String string(String key, String fallback) {
        JsonNode v = take(key);
        if (v == null) {
            return fallback;
        }
        if (!v.isValueNode() || v.isBoolean()) {
            error(key, "expected a string, got " + kind(v));
            return fallback;
        }
        return v.asText();
    }

    String requiredString(String key) {
        if (!has(key)) {
            read.add(key);
            error(key, "is required");
            return null;
        }
        String s = string(key, null);
        if (s != null && s.isBlank()) {
            error(key, "must not be empty");
        }
        return s;
    }

    boolean bool(String key, boolean fallback) {
        JsonNode v = take(key);
        if (v == null) {
            return fallback;
        }
        if (!v.isBoolean()) {
            error(key, "expected true or false, got " + kind(v));
            return fallback;
        }
        return v.booleanValue();
    }

    long integer(String key, long fallback, long min, long max) {
        JsonNode v = take(key);
        if (v == null) {
            return fallback;
        }
        if (!v.isIntegralNumber()) {
            error(key, "expected an integer, got " + kind(v));
            return fallback;
        }
        long value = v.asLong();
        if (value < min || value > max) {
            error(key, "must be between " + min + " and " + max + ", was " + value);
            return fallback;
        }
        return value;
    }

    double number(String key, double fallback, double min, double max, boolean minExclusive) {
        JsonNode v = take(key);
        if (v == null) {
            return fallback;
        }
        if (!v.isNumber()) {
            error(key, "expected a number, got " + kind(v));
            return fallback;
        }
        double value = v.asDouble();
        if (value > max || value < min || (minExclusive && value == min)) {
            error(key, "must be " + (minExclusive ? "> " : ">= ") + min + " and <= " + max + ", was " + value);
            return fallback;
        }
        return value;
    }

    Duration duration(String key, Duration fallback) {
        return parsed(key, fallback, Quantities::duration, "a duration like 500ms or 10s");
    }

    long bytes(String key, long fallback) {
        JsonNode v = node.get(key);
        if (v != null && v.isIntegralNumber()) {
            read.add(key);
            return v.asLong();
        }
        return parsed(key, fallback, Quantities::bytes, "a size like 16MiB");
    }

    private <T> T parsed(String key, T fallback, Function<String, T> parser, String expected) {
        JsonNode v = take(key);
        if (v == null) {
            return fallback;
        }
        if (!v.isTextual()) {
            error(key, "expected " + expected + ", got " + kind(v));
            return fallback;
        }
        try {
            return parser.apply(v.asText());
        } catch (IllegalArgumentException e) {
            error(key, e.getMessage());
            return fallback;
        }
    }

    /** The value under {@code key} as parsed, for a section read by its own rules; empty when absent. */
    Optional<JsonNode> raw(String key) {
        return Optional.ofNullable(take(key));
    }

    /** A nested mapping, or empty when absent (an error is recorded when present but not a mapping). */
    Optional<ConfigNode> section(String key) {
        JsonNode v = take(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isObject()) {
            error(key, "expected a mapping, got " + kind(v));
            return Optional.empty();
        }
        return Optional.of(new ConfigNode(v, pathOf(key), errors));
    }

    /** The mappings of a list; an absent key gives an empty list. */
    List<ConfigNode> sections(String key) {
        JsonNode v = take(key);
        List<ConfigNode> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        if (!v.isArray()) {
            error(key, "expected a list, got " + kind(v));
            return out;
        }
        for (int i = 0; i < v.size(); i++) {
            JsonNode item = v.get(i);
            String itemPath = pathOf(key) + "[" + i + "]";
            if (!item.isObject()) {
                errors.add(new ConfigError(itemPath, "expected a mapping, got " + kind(item)));
            } else {
                out.add(new ConfigNode(item, itemPath, errors));
            }
        }
        return out;
    }

    /** The raw items of a list with their paths; an absent key gives an empty list. */
    List<Map.Entry<String, JsonNode>> items(String key) {
        JsonNode v = take(key);
        List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        if (!v.isArray()) {
            error(key, "expected a list, got " + kind(v));
            return out;
        }
        for (int i = 0; i < v.size(); i++) {
            out.add(Map.entry(pathOf(key) + "[" + i + "]", v.get(i)));
        }
        return out;
    }

    /** The strings of a list, each reported with its index when wrong. */
    List<String> strings(String key, List<String> fallback) {
        JsonNode v = take(key);
        if (v == null) {
            return fallback;
        }
        if (v.isTextual()) {
            return List.of(v.asText());
        }
        if (!v.isArray()) {
            error(key, "expected a list of strings, got " + kind(v));
            return fallback;
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode item = v.get(i);
            if (!item.isValueNode() || item.isNull() || item.isBoolean()) {
                errors.add(new ConfigError(pathOf(key) + "[" + i + "]", "expected a string, got " + kind(item)));
            } else {
                out.add(item.asText());
            }
        }
        return out;
    }

    /** Integers of a list. */
    List<Integer> integers(String key, List<Integer> fallback) {
        JsonNode v = take(key);
        if (v == null) {
            return fallback;
        }
        if (!v.isArray()) {
            error(key, "expected a list of integers, got " + kind(v));
            return fallback;
        }
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode item = v.get(i);
            if (!item.canConvertToInt() || !item.isIntegralNumber()) {
                errors.add(new ConfigError(pathOf(key) + "[" + i + "]", "expected an integer, got " + kind(item)));
            } else {
                out.add(item.asInt());
            }
        }
        return out;
    }

    /** Reports every key of this mapping that no getter asked for. */
    void finish() {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!read.contains(key)) {
                error(key, "unknown key (check its spelling and where it is indented)");
            }
        }
    }

    static String kind(JsonNode v) {
        if (v == null || v.isNull()) {
            return "nothing";
        }
        if (v.isObject()) {
            return "a mapping";
        }
        if (v.isArray()) {
            return "a list";
        }
        if (v.isBoolean()) {
            return "a boolean";
        }
        if (v.isIntegralNumber()) {
            return "an integer (" + v.asText() + ")";
        }
        if (v.isNumber()) {
            return "a number (" + v.asText() + ")";
        }
        return "the string '" + v.asText() + "'";
    }
}
