package io.fairlane.gateway.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An error as OpenAI's API answers it: an HTTP status, extra headers, and the body
 * {@code {"error":{"message","type","param","code"}}} with all four keys always present ({@code param}
 * and {@code code} may be null).
 *
 * @param status  HTTP status
 * @param message a sentence for the developer
 * @param type    {@code invalid_request_error}, {@code server_error}, {@code insufficient_quota}, ...
 * @param param   the request parameter at fault, or null
 * @param code    a machine-readable code ({@code invalid_api_key}, {@code model_not_found}, ...), or null
 * @param headers extra response headers ({@code retry-after}, {@code x-should-retry}, ...)
 */
public record ApiError(int status, String message, String type, String param, String code, Map<String, String> headers) {

    public ApiError {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(type, "type");
        headers = Map.copyOf(headers);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("an error status must be 4xx or 5xx, was " + status);
        }
    }

    public ApiError(int status, String message, String type, String param, String code) {
        this(status, message, type, param, code, Map.of());
    }

    public ApiError withHeader(String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new ApiError(status, message, type, param, code, h);
    }

    /** {@code {"error":{...}}}. */
    public ObjectNode toJson() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode e = root.putObject("error");
        e.put("message", message);
        e.put("type", type);
        if (param == null) {
            e.putNull("param");
        } else {
            e.put("param", param);
        }
        if (code == null) {
            e.putNull("code");
        } else {
            e.put("code", code);
        }
        return root;
    }
}
