package io.fairlane.engine.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON Schema vocabulary the compiler understands, and the one way each keyword's value is read. It knows
 * which keywords are annotations (ignored), which constrain objects, arrays, strings or numbers, which are refused
 * and with what advice, which types a schema admits (named by {@code type} or inferred from the keywords present),
 * and how to read a keyword's value as a number, a count or a string. Every part of the compiler reads keywords
 * through here, so that a keyword with the wrong shape is refused in the same words, with the same keyword and
 * pointer, wherever it is met.
 *
 * <p>Stateless (static methods over immutable tables); safe on any thread.
 */
final class SchemaKeywords {

    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "default", "examples",
            "$comment", "deprecated", "readOnly", "writeOnly", "$schema", "$id");
    private static final Set<String> OBJECT_KEYWORDS = Set.of("properties", "required", "additionalProperties");
    private static final Set<String> ARRAY_KEYWORDS = Set.of("items", "minItems", "maxItems");
    static final Set<String> STRING_KEYWORDS = Set.of("pattern", "format", "minLength", "maxLength");
    static final Set<String> NUMBER_KEYWORDS = Set.of("minimum", "maximum", "exclusiveMinimum",
            "exclusiveMaximum", "multipleOf");
    private static final Set<String> STRUCTURE = Set.of("type", "enum", "const", "anyOf", "$ref", "$defs",
            "definitions");
    private static final Map<String, String> REFUSED = Map.ofEntries(
            Map.entry("allOf", "allOf is not supported; merge the subschemas into one"),
            Map.entry("oneOf", "oneOf is not supported; use anyOf"),
            Map.entry("not", "not is not supported"),
            Map.entry("if", "if/then/else is not supported"),
            Map.entry("then", "if/then/else is not supported"),
            Map.entry("else", "if/then/else is not supported"),
            Map.entry("dependentRequired", "dependentRequired is not supported"),
            Map.entry("dependentSchemas", "dependentSchemas is not supported"),
            Map.entry("dependencies", "dependencies is not supported"),
            Map.entry("patternProperties", "patternProperties is not supported"),
            Map.entry("propertyNames", "propertyNames is not supported"),
            Map.entry("unevaluatedProperties", "unevaluatedProperties is not supported"),
            Map.entry("unevaluatedItems", "unevaluatedItems is not supported"),
            Map.entry("prefixItems", "prefixItems is not supported"),
            Map.entry("contains", "contains is not supported"),
            Map.entry("minContains", "minContains is not supported"),
            Map.entry("maxContains", "maxContains is not supported"),
            Map.entry("uniqueItems", "uniqueItems is not supported"),
            Map.entry("minProperties", "minProperties is not supported"),
            Map.entry("maxProperties", "maxProperties is not supported"),
            Map.entry("$dynamicRef", "$dynamicRef is not supported"),
            Map.entry("$recursiveRef", "$recursiveRef is not supported"),
            Map.entry("nullable", "nullable is not JSON Schema; use \"type\": [\"T\", \"null\"]"));

    /** The seven JSON types, in the order a schema's type branches are built. */
    private static final List<String> TYPES = List.of("object", "array", "string", "number", "integer", "boolean",
            "null");

    private SchemaKeywords() {
    }

    /** Refuses the first keyword of {@code schema} that is neither understood nor ignorable. */
    static void check(JsonNode schema, String ptr) {
        for (Iterator<String> it = schema.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (ANNOTATIONS.contains(k) || STRUCTURE.contains(k) || OBJECT_KEYWORDS.contains(k)
                    || ARRAY_KEYWORDS.contains(k) || STRING_KEYWORDS.contains(k) || NUMBER_KEYWORDS.contains(k)
                    || k.startsWith("x-")) {
                continue;
            }
            String why = REFUSED.get(k);
            throw new SchemaException(why != null ? why : "keyword '" + k + "' is not supported", k, ptr);
        }
    }

    /** Refuses validation keywords beside {@code keyword} (annotations and $defs may stay). */
    static void requireOnly(JsonNode schema, String ptr, String keyword) {
        for (Iterator<String> it = schema.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals(keyword) && !ANNOTATIONS.contains(k) && !k.equals("$defs") && !k.equals("definitions")
                    && !k.startsWith("x-")) {
                throw new SchemaException(keyword + " cannot be combined with '" + k + "' in one schema; move '" + k
                        + "' into the " + (keyword.equals("anyOf") ? "alternatives" : "referenced schema"), k, ptr);
            }
        }
    }

    /** The types a schema admits, in {@link #TYPES} order; empty when it admits any value. */
    static List<String> types(JsonNode schema, String ptr) {
        JsonNode t = schema.get("type");
        List<String> out = new ArrayList<>();
        if (t != null) {
            List<JsonNode> named = new ArrayList<>();
            if (t.isTextual()) {
                named.add(t);
            } else if (t.isArray() && !t.isEmpty()) {
                t.forEach(named::add);
            } else {
                throw new SchemaException("type must be a type name or a non-empty array of them", "type", ptr);
            }
            Set<String> seen = new LinkedHashSet<>();
            for (JsonNode n : named) {
                if (!n.isTextual() || !TYPES.contains(n.asText())) {
                    throw new SchemaException("unknown type " + n + "; expected one of " + TYPES, "type", ptr);
                }
                seen.add(n.asText());
            }
            for (String type : TYPES) {
                if (seen.contains(type)) {
                    out.add(type);
                }
            }
            if (out.contains("number") && out.contains("integer")) {
                out.remove("integer");
            }
            return out;
        }
        boolean object = hasAny(schema, OBJECT_KEYWORDS);
        boolean array = hasAny(schema, ARRAY_KEYWORDS);
        boolean string = hasAny(schema, STRING_KEYWORDS);
        boolean number = hasAny(schema, NUMBER_KEYWORDS);
        if (!(object || array || string || number)) {
            return List.of();
        }
        if (object) {
            out.add("object");
        }
        if (array) {
            out.add("array");
        }
        if (string) {
            out.add("string");
        }
        if (number) {
            out.add("number");
        }
        return out;
    }

    static boolean hasAny(JsonNode schema, Set<String> keywords) {
        for (String k : keywords) {
            if (schema.has(k)) {
                return true;
            }
        }
        return false;
    }

    // ---- keyword values

    /** The value of a numeric keyword, or null when absent. */
    static BigDecimal decimal(JsonNode schema, String keyword, String ptr) {
        JsonNode v = schema.get(keyword);
        if (v == null) {
            return null;
        }
        if (!v.isNumber()) {
            throw new SchemaException(keyword + " must be a number", keyword, ptr);
        }
        return v.decimalValue();
    }

    /** The value of a count keyword ({@code minItems}, {@code maxLength}...), or {@code absent}. */
    static int count(JsonNode schema, String keyword, String ptr, int absent) {
        JsonNode v = schema.get(keyword);
        if (v == null) {
            return absent;
        }
        if (!v.isNumber() || !isIntegral(v.decimalValue()) || v.decimalValue().signum() < 0) {
            throw new SchemaException(keyword + " must be a non-negative integer", keyword, ptr);
        }
        if (v.decimalValue().compareTo(BigDecimal.valueOf(Integer.MAX_VALUE / 2)) > 0) {
            throw new SchemaException(keyword + " is too large", keyword, ptr);
        }
        return v.decimalValue().intValue();
    }

    /** The value of a string keyword, or null when absent. */
    static String text(JsonNode schema, String keyword, String ptr) {
        JsonNode v = schema.get(keyword);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw new SchemaException(keyword + " must be a string", keyword, ptr);
        }
        return v.asText();
    }

    /** Whether a JSON number is an integer in JSON Schema's sense ({@code 1.0} is). */
    static boolean isIntegral(BigDecimal d) {
        return d.signum() == 0 || d.stripTrailingZeros().scale() <= 0;
    }
}
