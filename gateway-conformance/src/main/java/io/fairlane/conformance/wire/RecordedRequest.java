package io.fairlane.conformance.wire;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A request as the harness sent it, with credentials redacted so reports can be shared.
 *
 * @param method HTTP method
 * @param url the full URL
 * @param headers request headers, credentials replaced by {@value #REDACTED}
 * @param body the body text, or a size note when the body is too large to keep
 * @param bodyBytes the body's length in bytes
 */
public record RecordedRequest(String method, String url, Map<String, String> headers, String body, long bodyBytes) {

    public static final String REDACTED = "[redacted]";
    static final int MAX_KEPT_BODY = 64 * 1024;

    /** Header names whose values are secrets; the capture format redacts the same set. */
    public static final Set<String> SECRET_HEADERS =
            Set.of("authorization", "api-key", "x-api-key", "proxy-authorization", "cookie", "openai-organization");

    public RecordedRequest {
        requireNonNull(method, "method");
        requireNonNull(url, "url");
        requireNonNull(body, "body");
        TreeMap<String, String> redacted = new TreeMap<>();
        requireNonNull(headers, "headers").forEach((name, value) -> redacted.put(name.toLowerCase(Locale.ROOT),
                SECRET_HEADERS.contains(name.toLowerCase(Locale.ROOT)) ? REDACTED : value));
        headers = Map.copyOf(redacted);
        if (bodyBytes < 0) {
            throw new IllegalArgumentException("bodyBytes must be >= 0, was " + bodyBytes);
        }
    }

    static String keptBody(byte[] body) {
        if (body.length > MAX_KEPT_BODY) {
            return "(" + body.length + " bytes, not kept)";
        }
        return new String(body, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Prints sizes, never the body: it may hold a prompt. */
    @Override
    public String toString() {
        return "RecordedRequest[" + method + " " + url + ", headers=" + headers.size() + ", bodyBytes=" + bodyBytes + "]";
    }
}
