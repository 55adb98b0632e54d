package io.fairlane.conformance.capture;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * A recorded request.
 *
 * @param method HTTP method
 * @param path the request path as received, with query, e.g. {@code /v1/chat/completions}
 * @param headers header names in lower case; credentials replaced by {@code "[redacted]"}
 * @param body the body when it is JSON, else null
 * @param bodyText the body when it is not JSON (or was too large to keep whole), else null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CapturedRequest(String method, String path, Map<String, String> headers, JsonNode body,
        String bodyText) {

    public CapturedRequest {
        requireNonNull(method, "method");
        requireNonNull(path, "path");
        headers = headers == null ? Map.of() : Map.copyOf(headers);
    }

    /** Prints sizes, never the body: it holds a user's prompt. */
    @Override
    public String toString() {
        return "CapturedRequest[" + method + " " + path + ", headers=" + headers.size() + ", body="
                + (body != null ? "json" : bodyText != null ? bodyText.length() + " chars" : "none") + "]";
    }
}
