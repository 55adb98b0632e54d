package io.fairlane.engine.grammar;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a schema's text and holds it to OpenAI's structured-output rules (REFERENCES.md) before a grammar is
 * built: in both modes the size limits ({@value #MAX_PROPERTIES} properties, {@value #MAX_ENUM_VALUES} enum
 * values, {@value #MAX_SCHEMA_CHARS} characters of property names, definition names, enum and const values) and a
 * nesting bound; in strict mode an object at the root and at most {@value #STRICT_MAX_NESTING} levels of objects
 * and arrays. The rules that can only be judged as nodes are compiled (nesting reached through {@code $ref},
 * strict objects being closed and listing every property as required) are checked here too, called by the
 * builders, so that every one of OpenAI's rules and its message is written once.
 *
 * <p>Also owns the Jackson mapper the compiler reads schemas and writes JSON literals with.
 *
 * <p>Static methods over a thread-safe mapper: safe on any thread. A {@link LimitCheck} is one walk on one thread.
 */
final class SchemaParser {

    private static final int MAX_PROPERTIES = 5_000;
    private static final int MAX_ENUM_VALUES = 1_000;
    private static final int MAX_SCHEMA_CHARS = 120_000;
    private static final int MAX_LARGE_ENUM_CHARS = 15_000;
    private static final int LARGE_ENUM = 250;
    static final int STRICT_MAX_NESTING = 10;
    static final int MAX_NESTING = 64;
    /** The most characters of schema text accepted at all (the named limits count only some of them). */
    private static final int MAX_TEXT_CHARS = 4_000_000;

    private static final ObjectMapper JSON = new ObjectMapper();

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(200).build());
    }

    private SchemaParser() {
    }

    /** Parses and checks a schema document (limits, strict-mode rules); does not build anything yet. */
    static JsonNode parse(String schema, boolean strict) {
        if (schema.length() > MAX_TEXT_CHARS) {
            throw new SchemaException("the schema is longer than " + MAX_TEXT_CHARS + " characters", "", "");
        }
        JsonNode root;
        try {
            root = JSON.readTree(schema);
        } catch (JsonProcessingException e) {
            throw new SchemaException("the schema is not valid JSON: " + e.getOriginalMessage(), "", "");
        }
        if (root == null || !(root.isObject() || root.isBoolean())) {
            throw new SchemaException("a schema must be a JSON object", "", "");
        }
        new LimitCheck(strict).walk(root, "", 0);
        if (strict) {
            JsonNode type = root.get("type");
            if (root.has("anyOf") || type == null || !type.isTextual() || !type.asText().equals("object")) {
                throw new SchemaException("in strict mode the root schema must be of type \"object\" (not anyOf)",
                        root.has("anyOf") ? "anyOf" : "type", "");
            }
        }
        return root;
    }

    /** {@code value} as compact JSON: how the grammar spells property names and enum and const values. */
    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Refuses an object or array nested {@code depth} levels deep, beyond the mode's limit. */
    static void checkNesting(boolean strict, int depth, String keyword, String ptr) {
        int max = strict ? STRICT_MAX_NESTING : MAX_NESTING;
        if (depth > max) {
            throw new SchemaException("objects and arrays nest more than " + max + " levels deep"
                    + (strict ? " (OpenAI's strict-mode limit)" : ""), keyword, ptr);
        }
    }

    /**
     * Strict mode's rules for one object: {@code additionalProperties: false}, and every property (named in
     * {@code properties}) listed in {@code required}.
     */
    static void checkStrictObject(boolean closed, Collection<String> properties, Set<String> required, String ptr) {
        if (!closed) {
            throw new SchemaException("in strict mode every object must set \"additionalProperties\": false",
                    "additionalProperties", ptr);
        }
        for (String name : properties) {
            if (!required.contains(name)) {
                throw new SchemaException("in strict mode every property must be listed in required; '" + name
                        + "' is not (make it optional with a \"null\" type instead)", "required", ptr);
            }
        }
    }

    /** OpenAI's size limits, and the nesting limit, over the schema document as written. */
    private static final class LimitCheck {
        private final boolean strict;
        private int properties;
        private int enumValues;
        private long chars;

        LimitCheck(boolean strict) {
            this.strict = strict;
        }

        void walk(JsonNode schema, String ptr, int depth) {
            if (!schema.isObject()) {
                return;
            }
            boolean nests = schema.has("properties") || schema.has("items")
                    || "object".equals(schema.path("type").asText()) || "array".equals(schema.path("type").asText());
            int level = nests ? depth + 1 : depth;
            checkNesting(strict, level, schema.has("items") ? "items" : "properties", ptr);
            JsonNode props = schema.get("properties");
            if (props != null && props.isObject()) {
                for (Map.Entry<String, JsonNode> e : props.properties()) {
                    properties++;
                    chars += e.getKey().length();
                    if (properties > MAX_PROPERTIES) {
                        throw new SchemaException("the schema has more than " + MAX_PROPERTIES + " properties",
                                "properties", ptr);
                    }
                    walk(e.getValue(), ptr + "/properties/" + RefResolver.escape(e.getKey()), level);
                }
            }
            for (String defs : List.of("$defs", "definitions")) {
                JsonNode d = schema.get(defs);
                if (d != null && d.isObject()) {
                    for (Map.Entry<String, JsonNode> e : d.properties()) {
                        chars += e.getKey().length();
                        walk(e.getValue(), ptr + "/" + defs + "/" + RefResolver.escape(e.getKey()), 0);
                    }
                }
            }
            JsonNode items = schema.get("items");
            if (items != null) {
                walk(items, ptr + "/items", level);
            }
            JsonNode additional = schema.get("additionalProperties");
            if (additional != null) {
                walk(additional, ptr + "/additionalProperties", level);
            }
            JsonNode any = schema.get("anyOf");
            if (any != null && any.isArray()) {
                for (int i = 0; i < any.size(); i++) {
                    walk(any.get(i), ptr + "/anyOf/" + i, depth);
                }
            }
            JsonNode e = schema.get("enum");
            if (e instanceof ArrayNode values) {
                enumValues += values.size();
                if (enumValues > MAX_ENUM_VALUES) {
                    throw new SchemaException("the schema has more than " + MAX_ENUM_VALUES + " enum values", "enum",
                            ptr);
                }
                long own = 0;
                int strings = 0;
                for (JsonNode v : values) {
                    if (v.isTextual()) {
                        own += v.asText().length();
                        strings++;
                    }
                }
                chars += own;
                if (strings > LARGE_ENUM && own > MAX_LARGE_ENUM_CHARS) {
                    throw new SchemaException("an enum of more than " + LARGE_ENUM + " strings may hold at most "
                            + MAX_LARGE_ENUM_CHARS + " characters in all", "enum", ptr);
                }
            }
            JsonNode c = schema.get("const");
            if (c != null && c.isTextual()) {
                chars += c.asText().length();
            }
            if (chars > MAX_SCHEMA_CHARS) {
                throw new SchemaException("property names, definition names, enum and const values add up to more"
                        + " than " + MAX_SCHEMA_CHARS + " characters", "", ptr);
            }
        }
    }
}
