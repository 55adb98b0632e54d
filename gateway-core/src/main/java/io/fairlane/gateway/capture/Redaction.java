package io.fairlane.gateway.capture;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Header values a capture must never hold: credentials of the client (its Fairlane key), of an
 * organisation, and cookies. They are replaced by {@value #REDACTED}; the names stay, so a replay knows
 * that the request was authenticated.
 */
public final class Redaction {

    public static final String REDACTED = "[redacted]";
    static final Set<String> SECRET_HEADERS = Set.of("authorization", "api-key", "x-api-key", "proxy-authorization",
            "cookie", "set-cookie", "openai-organization", "openai-project");

    private Redaction() {
    }

    /** Lower-case names, the first value of each, secrets redacted. */
    public static Map<String, String> headers(HttpHeaders headers) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : headers) {
            String name = h.getKey().toLowerCase(Locale.ROOT);
            out.putIfAbsent(name, SECRET_HEADERS.contains(name) ? REDACTED : h.getValue());
        }
        return out;
    }
}
