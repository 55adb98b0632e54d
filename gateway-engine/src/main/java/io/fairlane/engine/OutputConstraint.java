package io.fairlane.engine;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A shape the generated text must take, enforced while sampling (constrained decoding): at every step the
 * tokens whose bytes would break the shape are masked out, and once the shape is complete only an EOS token
 * remains, so the choice ends with {@link FinishReason#STOP}. A {@code max_tokens} cut still ends it early with
 * {@link FinishReason#LENGTH}, leaving an incomplete shape.
 *
 * <p>{@link JsonObject} and a {@link ToolCall} without parameter schemas enforce RFC 8259 syntax (valid UTF-8 in
 * strings, no raw control characters), with two limits that keep a model from stalling: at most
 * {@value #MAX_WHITESPACE_RUN} whitespace bytes in a row and nesting at most {@value #MAX_DEPTH} deep.
 * {@link JsonSchema} and a {@link ToolCall} with parameter schemas enforce a JSON Schema: the output always
 * parses and validates (see {@code io.fairlane.engine.grammar.Grammars} for what is supported; anything else is
 * refused at submission with an {@code EngineException} of kind {@code INVALID_REQUEST} whose cause is a
 * {@code io.fairlane.engine.grammar.SchemaException} naming the keyword and its JSON pointer).
 *
 * <p>On a model that thinks ({@code <think>…</think>}, see {@link ThinkingMode}) the constraint applies to the
 * answer only: from the first byte after the closing tag and the whitespace that follows it.
 */
public sealed interface OutputConstraint {

    /** The most consecutive whitespace bytes between JSON tokens (room for pretty-printing a few levels deep). */
    int MAX_WHITESPACE_RUN = 16;

    /** The deepest nesting of objects and arrays. */
    int MAX_DEPTH = 64;

    /** One JSON object, with nothing before or after it (OpenAI's {@code response_format: json_object}). */
    record JsonObject() implements OutputConstraint {
    }

    /**
     * One JSON value that validates against a JSON Schema (OpenAI's {@code response_format: {type:
     * "json_schema", json_schema: {name, schema, strict}}}), with nothing before or after it. Strict and
     * non-strict schemas are both enforced; strict mode additionally requires what OpenAI's strict mode does
     * (the root an object, {@code additionalProperties: false} and every property required on every object, at
     * most 10 levels of nesting) and refuses a schema that breaks it. The output is compact JSON with at most one
     * space after each {@code :} and {@code ,}, properties in the schema's order.
     *
     * @param name   the schema's name, {@code [a-zA-Z0-9_-]{1,64}} (OpenAI's rule)
     * @param schema the schema as JSON text
     * @param strict whether OpenAI's strict-mode rules apply
     */
    record JsonSchema(String name, String schema, boolean strict) implements OutputConstraint {

        public JsonSchema {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(schema, "schema");
            if (!ToolCall.NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("schema name must match [a-zA-Z0-9_-]{1,64}, was '" + name + "'");
            }
        }

        @Override
        public String toString() {
            return "JsonSchema[" + name + ", " + schema.length() + " chars" + (strict ? ", strict" : "") + "]";
        }
    }

    /**
     * One tool call, written as the body Hermes-style templates teach models to put between their tool-call
     * tags, byte for byte: {@code {"name": "NAME", "arguments": ARGS}} where NAME is one of {@code names} and
     * ARGS a JSON object. {@link #NAME_PREFIX}, {@link #ARGUMENTS_PREFIX} and {@link #SUFFIX} spell the fixed
     * parts, so a reader can stream the arguments as they are generated.
     *
     * <p>A name with an entry in {@code parameters} (OpenAI's strict function tools, or any function whose
     * schema the caller wants enforced) gets arguments that validate against that schema; the others any JSON
     * object. Without parameters the output is byte for byte what it was before schemas existed.
     *
     * @param names      the functions the call may name, each {@code [a-zA-Z0-9_-]{1,64}} (OpenAI's rule), distinct
     * @param parameters function name → its parameters schema (whose {@code name} is the function's); names
     *                   not in {@code names} are refused
     */
    record ToolCall(List<String> names, Map<String, JsonSchema> parameters) implements OutputConstraint {

        /** What the output starts with. */
        public static final String NAME_PREFIX = "{\"name\": \"";
        /** What follows the name and comes before the arguments object. */
        public static final String ARGUMENTS_PREFIX = "\", \"arguments\": ";
        /** What follows the arguments object and ends the output. */
        public static final String SUFFIX = "}";

        static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");

        /** A call of one of {@code names} with any JSON object as arguments. */
        public ToolCall(List<String> names) {
            this(names, Map.of());
        }

        public ToolCall {
            names = List.copyOf(Objects.requireNonNull(names, "names"));
            parameters = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(
                    Objects.requireNonNull(parameters, "parameters")));
            if (names.isEmpty()) {
                throw new IllegalArgumentException("a tool call needs at least one function name");
            }
            for (String n : names) {
                if (!NAME.matcher(n).matches()) {
                    throw new IllegalArgumentException("function name must match [a-zA-Z0-9_-]{1,64}, was '" + n + "'");
                }
            }
            if (names.stream().distinct().count() != names.size()) {
                throw new IllegalArgumentException("function names must be distinct, were " + names);
            }
            for (Map.Entry<String, JsonSchema> e : parameters.entrySet()) {
                if (!names.contains(e.getKey())) {
                    throw new IllegalArgumentException("parameters name '" + e.getKey() + "', which is not one of the"
                            + " call's names");
                }
                if (!Objects.requireNonNull(e.getValue(), "parameters schema").name().equals(e.getKey())) {
                    throw new IllegalArgumentException("the parameters schema of '" + e.getKey() + "' is named '"
                            + e.getValue().name() + "'");
                }
            }
        }

        @Override
        public String toString() {
            return "ToolCall[" + names.size() + " names" + (parameters.isEmpty() ? "" : ", " + parameters.size()
                    + " with schemas") + "]";
        }
    }

    /** {@link JsonObject}. */
    static OutputConstraint jsonObject() {
        return new JsonObject();
    }

    /** {@link ToolCall} naming one of {@code names}. */
    static OutputConstraint toolCall(List<String> names) {
        return new ToolCall(names);
    }

    /** {@link ToolCall} naming one of {@code names}, whose arguments follow {@code parameters} where given. */
    static OutputConstraint toolCall(List<String> names, Map<String, JsonSchema> parameters) {
        return new ToolCall(names, parameters);
    }

    /** {@link JsonSchema}. */
    static OutputConstraint jsonSchema(String name, String schema, boolean strict) {
        return new JsonSchema(name, schema, strict);
    }
}
