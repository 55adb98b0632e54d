package io.fairlane.gateway.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.ApiException;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A tool the model may call.
 *
 * @param type        {@code function} or {@code custom}
 * @param name        the function name (a-z, A-Z, 0-9, _ and -, at most 64)
 * @param description optional description
 * @param parameters  the JSON Schema of the arguments, or null
 * @param raw         the definition as sent (what a chat template renders)
 */
public record ToolDefinition(String type, String name, String description, JsonNode parameters, ObjectNode raw) {

    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");

    static ToolDefinition read(JsonNode node, String path) {
        Fields f = Fields.of(node, path);
        String type = f.requiredString("type");
        if (!type.equals("function") && !type.equals("custom")) {
            throw Fields.invalidValue(f.path("type"), type, List.of("function", "custom"));
        }
        Fields fn = f.child(type);
        if (fn == null) {
            throw Fields.missing(f.path(type));
        }
        String name = fn.requiredString("name");
        if (!NAME.matcher(name).matches()) {
            throw ApiException.invalidRequest("Invalid '" + fn.path("name") + "': string does not match pattern. "
                    + "Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$' with at most 64 characters.",
                    fn.path("name"), "invalid_value");
        }
        String description = fn.string("description");
        JsonNode parameters = null;
        if (type.equals("function")) {
            parameters = fn.object("parameters");
            if (parameters != null && parameters.has("type") && !parameters.get("type").isTextual()
                    && !parameters.get("type").isArray()) {
                throw Fields.invalidType(fn.path("parameters") + ".type", "a string", parameters.get("type"));
            }
            fn.bool("strict");
        }
        return new ToolDefinition(type, name, description, parameters, f.node());
    }
}
