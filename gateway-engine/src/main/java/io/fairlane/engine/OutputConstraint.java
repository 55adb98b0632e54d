package io.fairlane.engine;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A shape the generated text must take, enforced while sampling (constrained decoding): at every step the
 * tokens whose bytes would break the shape are masked out, and once the shape is complete only an EOS token
 * remains, so the choice ends with {@link FinishReason#STOP}. A {@code max_tokens} cut still ends it early with
 * {@link FinishReason#LENGTH}, leaving an incomplete shape.
 *
 * <p>The JSON enforced is RFC 8259 syntax (valid UTF-8 in strings, no raw control characters), with two limits
 * that keep a model from stalling: at most {@value #MAX_WHITESPACE_RUN} whitespace bytes in a row and nesting at
 * most {@value #MAX_DEPTH} deep. It is syntax only: no JSON Schema is enforced.
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
     * One tool call, written as the body Hermes-style templates teach models to put between their tool-call
     * tags, byte for byte: {@code {"name": "NAME", "arguments": ARGS}} where NAME is one of {@code names} and
     * ARGS a JSON object. {@link #NAME_PREFIX}, {@link #ARGUMENTS_PREFIX} and {@link #SUFFIX} spell the fixed
     * parts, so a reader can stream the arguments as they are generated.
     *
     * @param names the functions the call may name, each {@code [a-zA-Z0-9_-]{1,64}} (OpenAI's rule), distinct
     */
    record ToolCall(List<String> names) implements OutputConstraint {

        /** What the output starts with. */
        public static final String NAME_PREFIX = "{\"name\": \"";
        /** What follows the name and comes before the arguments object. */
        public static final String ARGUMENTS_PREFIX = "\", \"arguments\": ";
        /** What follows the arguments object and ends the output. */
        public static final String SUFFIX = "}";

        private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");

        public ToolCall {
            names = List.copyOf(Objects.requireNonNull(names, "names"));
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
        }

        @Override
        public String toString() {
            return "ToolCall[" + names.size() + " names]";
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
}
