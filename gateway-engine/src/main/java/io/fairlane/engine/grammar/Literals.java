package io.fairlane.engine.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code enum} and {@code const}: the allowed values written out as literals of their compact JSON, so a model
 * can write exactly those and nothing else. A value that the schema's other keywords rule out (a type not
 * listed, a string off its pattern or length, a number out of bounds, an array of the wrong size) is dropped
 * rather than offered, since every sentence of the grammar must validate; a value listed twice is written once.
 *
 * <p>Holds only its collaborator; confined to the compiling thread.
 */
final class Literals {

    private final StringsAndNumbers scalars;

    Literals(StringsAndNumbers scalars) {
        this.scalars = scalars;
    }

    /**
     * The union of the values of {@code enum} (narrowed by {@code const} when both are present) or of
     * {@code const}, each as its compact JSON, keeping only the values of the admitted {@code types} (when the
     * schema names any) that meet the schema's other keywords; refused when none is left.
     */
    ByteNfa.Frag literals(ByteNfa nfa, JsonNode schema, String ptr, List<String> types) {
        List<JsonNode> values = new ArrayList<>();
        String keyword = schema.has("enum") ? "enum" : "const";
        if (schema.has("enum")) {
            JsonNode e = schema.get("enum");
            if (!e.isArray() || e.isEmpty()) {
                throw new SchemaException("enum must be a non-empty array", "enum", ptr);
            }
            e.forEach(values::add);
        }
        if (schema.has("const")) {
            JsonNode c = schema.get("const");
            values = schema.has("enum") ? values.stream().filter(v -> jsonEquals(v, c)).toList() : List.of(c);
        }
        List<ByteNfa.Frag> parts = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        boolean typed = schema.has("type");
        for (JsonNode v : values) {
            if (typed && !hasType(v, types)) {
                continue;
            }
            if (!satisfiesSiblings(v, schema, ptr)) {
                continue;
            }
            String text = SchemaParser.json(v);
            if (seen.add(text)) {
                parts.add(nfa.literal(text));
            }
        }
        if (parts.isEmpty()) {
            throw new SchemaException(keyword + " has no value that also satisfies the schema's other keywords",
                    keyword, ptr);
        }
        return nfa.union(parts);
    }

    private static boolean jsonEquals(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        return a.equals(b);
    }

    private static boolean hasType(JsonNode v, List<String> types) {
        for (String t : types) {
            boolean ok = switch (t) {
                case "object" -> v.isObject();
                case "array" -> v.isArray();
                case "string" -> v.isTextual();
                case "number" -> v.isNumber();
                case "integer" -> v.isNumber() && SchemaKeywords.isIntegral(v.decimalValue());
                case "boolean" -> v.isBoolean();
                case "null" -> v.isNull();
                default -> false;
            };
            if (ok) {
                return true;
            }
        }
        return false;
    }

    /** Whether an enum or const value satisfies the string, number and array-size keywords beside it. */
    private boolean satisfiesSiblings(JsonNode v, JsonNode schema, String ptr) {
        if (v.isTextual() && SchemaKeywords.hasAny(schema, SchemaKeywords.STRING_KEYWORDS)) {
            return scalars.stringMeets(v.asText(), schema, ptr);
        }
        if (v.isNumber() && SchemaKeywords.hasAny(schema, SchemaKeywords.NUMBER_KEYWORDS)) {
            return StringsAndNumbers.numberMeets(v.decimalValue(), schema, ptr);
        }
        if (v.isArray()) {
            int min = SchemaKeywords.count(schema, "minItems", ptr, 0);
            int max = SchemaKeywords.count(schema, "maxItems", ptr, Integer.MAX_VALUE);
            return v.size() >= min && v.size() <= max;
        }
        return true;
    }
}
