package io.fairlane.gateway.openai;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.http.ErrorMapper;
import io.fairlane.gateway.http.Json;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Typed reads from a JSON object with OpenAI's validation errors: each failure names the parameter by its
 * path ({@code messages[2].content}) and uses the codes OpenAI uses ({@code invalid_type},
 * {@code missing_required_parameter}, {@code integer_below_min_value}, {@code empty_array},
 * {@code invalid_value}, ...). The first error found is the one reported, as OpenAI does.
 */
final class Fields {

    private final ObjectNode node;
    private final String prefix;

    Fields(ObjectNode node, String prefix) {
        this.node = node;
        this.prefix = prefix;
    }

    /** Parses a request body that must be a JSON object. Invalid JSON or UTF-8 gives the malformed-JSON 400. */
    static ObjectNode parseBody(ByteBuf body) {
        if (!body.isReadable()) {
            throw new ApiException(ErrorMapper.malformedJson());
        }
        JsonNode root;
        try {
            // Parsing from an array is markedly cheaper than through an InputStream; request bodies are small.
            root = body.hasArray()
                    ? Json.TREE.readTree(body.array(), body.arrayOffset() + body.readerIndex(), body.readableBytes())
                    : Json.TREE.readTree(io.netty.buffer.ByteBufUtil.getBytes(body));
        } catch (JacksonException e) {
            throw new ApiException(ErrorMapper.malformedJson());
        } catch (IOException e) {
            throw new ApiException(ErrorMapper.malformedJson());
        }
        if (root == null || root.isMissingNode()) {
            throw new ApiException(ErrorMapper.malformedJson());
        }
        if (!root.isObject()) {
            throw ApiException.invalidRequest("Invalid request body: expected a JSON object, but got "
                    + typeName(root) + " instead.", null, "invalid_type");
        }
        return (ObjectNode) root;
    }

    ObjectNode node() {
        return node;
    }

    String path(String name) {
        return prefix.isEmpty() ? name : prefix + "." + name;
    }

    /** The value, or null when absent or JSON null. */
    JsonNode get(String name) {
        JsonNode v = node.get(name);
        return v == null || v.isNull() ? null : v;
    }

    boolean has(String name) {
        return get(name) != null;
    }

    JsonNode required(String name) {
        JsonNode v = get(name);
        if (v == null) {
            throw missing(path(name));
        }
        return v;
    }

    String requiredString(String name) {
        JsonNode v = required(name);
        if (!v.isTextual()) {
            throw invalidType(path(name), "a string", v);
        }
        return v.textValue();
    }

    String string(String name) {
        JsonNode v = get(name);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw invalidType(path(name), "a string", v);
        }
        return v.textValue();
    }

    String enumString(String name, List<String> allowed) {
        String s = string(name);
        if (s != null && !allowed.contains(s)) {
            throw invalidValue(path(name), s, allowed);
        }
        return s;
    }

    Boolean bool(String name) {
        JsonNode v = get(name);
        if (v == null) {
            return null;
        }
        if (!v.isBoolean()) {
            throw invalidType(path(name), "a boolean", v);
        }
        return v.booleanValue();
    }

    boolean bool(String name, boolean fallback) {
        Boolean b = bool(name);
        return b == null ? fallback : b;
    }

    Long integer(String name, long min, long max) {
        JsonNode v = get(name);
        if (v == null) {
            return null;
        }
        return integerValue(v, path(name), min, max);
    }

    static long integerValue(JsonNode v, String path, long min, long max) {
        // 2.0 is an integer to Python and JavaScript clients; accept it as one.
        if (!v.isIntegralNumber() && !(v.isNumber() && v.canConvertToExactIntegral())) {
            throw invalidType(path, "an integer", v);
        }
        if (!v.canConvertToLong()) {
            // An integer beyond 64 bits is out of range, not of the wrong type.
            boolean negative = v.isIntegralNumber() ? v.bigIntegerValue().signum() < 0 : v.doubleValue() < 0;
            throw negative ? belowMin(path, min, v.asText()) : aboveMax(path, max, v.asText());
        }
        long value = v.longValue();
        if (value < min) {
            throw belowMin(path, min, Long.toString(value));
        }
        if (value > max) {
            throw aboveMax(path, max, Long.toString(value));
        }
        return value;
    }

    private static ApiException belowMin(String path, long min, String value) {
        return ApiException.invalidRequest("Invalid '" + path + "': integer below minimum value. Expected a value >= "
                + min + ", but got " + value + " instead.", path, "integer_below_min_value");
    }

    private static ApiException aboveMax(String path, long max, String value) {
        return ApiException.invalidRequest("Invalid '" + path + "': integer above maximum value. Expected a value <= "
                + max + ", but got " + value + " instead.", path, "integer_above_max_value");
    }

    Double number(String name, double min, double max) {
        JsonNode v = get(name);
        if (v == null) {
            return null;
        }
        if (!v.isNumber()) {
            throw invalidType(path(name), "a decimal", v);
        }
        double d = v.asDouble();
        if (!(d >= min)) {
            throw ApiException.invalidRequest("Invalid '" + path(name) + "': decimal below minimum value. Expected a value >= "
                    + fmt(min) + ", but got " + v.asText() + " instead.", path(name), "decimal_below_min_value");
        }
        if (!(d <= max)) {
            throw ApiException.invalidRequest("Invalid '" + path(name) + "': decimal above maximum value. Expected a value <= "
                    + fmt(max) + ", but got " + v.asText() + " instead.", path(name), "decimal_above_max_value");
        }
        return d;
    }

    ObjectNode object(String name) {
        JsonNode v = get(name);
        if (v == null) {
            return null;
        }
        if (!v.isObject()) {
            throw invalidType(path(name), "an object", v);
        }
        return (ObjectNode) v;
    }

    /** An array, or null when absent; {@code minLength} 1 rejects an empty one with {@code empty_array}. */
    JsonNode array(String name, int minLength, int maxLength) {
        JsonNode v = get(name);
        if (v == null) {
            return null;
        }
        return arrayValue(v, path(name), minLength, maxLength);
    }

    static JsonNode arrayValue(JsonNode v, String path, int minLength, int maxLength) {
        if (!v.isArray()) {
            throw invalidType(path, "an array", v);
        }
        if (v.size() < minLength) {
            if (v.isEmpty()) {
                throw ApiException.invalidRequest("Invalid '" + path + "': empty array. Expected an array with minimum length "
                        + minLength + ", but got an empty array instead.", path, "empty_array");
            }
            throw ApiException.invalidRequest("Invalid '" + path + "': array too short. Expected an array with minimum length "
                    + minLength + ", but got an array with length " + v.size() + " instead.", path, "array_below_min_length");
        }
        if (v.size() > maxLength) {
            throw ApiException.invalidRequest("Invalid '" + path + "': array too long. Expected an array with maximum length "
                    + maxLength + ", but got an array with length " + v.size() + " instead.", path, "array_above_max_length");
        }
        return v;
    }

    Fields child(String name) {
        ObjectNode o = object(name);
        return o == null ? null : new Fields(o, path(name));
    }

    static Fields of(JsonNode v, String path) {
        if (!v.isObject()) {
            throw invalidType(path, "an object", v);
        }
        return new Fields((ObjectNode) v, path);
    }

    /** {@code stop}: null, a string, or an array of at most {@code max} strings. */
    List<String> stop(int max) {
        JsonNode v = get("stop");
        if (v == null) {
            return List.of();
        }
        if (v.isTextual()) {
            return List.of(v.textValue());
        }
        if (!v.isArray()) {
            throw ApiException.invalidRequest("Invalid type for '" + path("stop") + "': expected a string or an array of "
                    + "strings, but got " + typeName(v) + " instead.", path("stop"), "invalid_type");
        }
        arrayValue(v, path("stop"), 0, max);
        List<String> out = new ArrayList<>(v.size());
        for (int i = 0; i < v.size(); i++) {
            JsonNode s = v.get(i);
            if (!s.isTextual()) {
                throw invalidType(path("stop") + "[" + i + "]", "a string", s);
            }
            out.add(s.textValue());
        }
        return out;
    }

    static ApiException missing(String path) {
        return ApiException.invalidRequest("Missing required parameter: '" + path + "'.", path,
                "missing_required_parameter");
    }

    static ApiException invalidType(String path, String expected, JsonNode got) {
        return ApiException.invalidRequest("Invalid type for '" + path + "': expected " + expected + ", but got "
                + typeName(got) + " instead.", path, "invalid_type");
    }

    static ApiException invalidValue(String path, String value, List<String> allowed) {
        String list;
        if (allowed.size() == 1) {
            list = "'" + allowed.get(0) + "'";
        } else {
            list = allowed.subList(0, allowed.size() - 1).stream().map(a -> "'" + a + "'").collect(Collectors.joining(", "))
                    + ", and '" + allowed.get(allowed.size() - 1) + "'";
        }
        return ApiException.invalidRequest("Invalid value: '" + value + "'. Supported values are: " + list + ".", path,
                "invalid_value");
    }

    static String typeName(JsonNode v) {
        if (v == null || v.isNull()) {
            return "null";
        }
        if (v.isTextual()) {
            return "a string";
        }
        if (v.isIntegralNumber()) {
            return "an integer";
        }
        if (v.isNumber()) {
            return "a decimal";
        }
        if (v.isBoolean()) {
            return "a boolean";
        }
        if (v.isArray()) {
            return "an array";
        }
        return "an object";
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
