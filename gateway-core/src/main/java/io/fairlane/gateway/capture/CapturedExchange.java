package io.fairlane.gateway.capture;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One exchange as captured on the event loop: credentials already redacted, bodies as the bytes that were
 * sent. {@link CaptureLine} turns it into a JSON line on the writer thread.
 *
 * @param time            when the request arrived
 * @param tenant          the tenant's id (never its key)
 * @param method          HTTP method
 * @param path            path and query as received
 * @param requestHeaders  lower-case names, first values, redacted
 * @param requestBody     the request body
 * @param status          the response status
 * @param responseHeaders lower-case names, first values, redacted
 * @param stream          whether the response was a {@code text/event-stream}
 * @param responseBody    the body, or every event as written ({@code data: ...\n\n} each)
 */
public record CapturedExchange(Instant time, String tenant, String method, String path,
                               Map<String, String> requestHeaders, byte[] requestBody, int status,
                               Map<String, String> responseHeaders, boolean stream, byte[] responseBody) {

    public CapturedExchange {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        requestHeaders = Collections.unmodifiableMap(new LinkedHashMap<>(requestHeaders));
        responseHeaders = Collections.unmodifiableMap(new LinkedHashMap<>(responseHeaders));
        Objects.requireNonNull(requestBody, "requestBody");
        Objects.requireNonNull(responseBody, "responseBody");
    }

    @Override
    public String toString() {
        return "CapturedExchange[" + tenant + " " + method + " " + path + " -> " + status + ", request "
                + requestBody.length + " bytes, response " + responseBody.length + " bytes]";
    }
}
