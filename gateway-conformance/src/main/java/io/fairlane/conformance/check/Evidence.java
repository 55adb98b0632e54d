package io.fairlane.conformance.check;

import static java.util.Objects.requireNonNull;

import io.fairlane.conformance.wire.Exchange;
import io.fairlane.conformance.wire.RecordedResponse;
import io.fairlane.conformance.wire.SseEvent;
import io.fairlane.conformance.wire.SseTranscript;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a report shows for one exchange: the request (credentials redacted) and the part of the response
 * that matters to the check.
 *
 * @param note why this exchange is shown
 * @param purpose what the harness wanted to learn with the request
 * @param request method and URL
 * @param requestHeaders the headers that shape behaviour (content type, idempotency key, ...)
 * @param requestBody the request body, shortened
 * @param status the response status, 0 when no response came back
 * @param responseHeaders the headers the contract speaks about
 * @param responseExcerpt the relevant part of the response body
 * @param transportError why no response came back, or null
 */
public record Evidence(String note, String purpose, String request, Map<String, String> requestHeaders,
        String requestBody, int status, Map<String, String> responseHeaders, String responseExcerpt,
        String transportError) {

    static final int MAX_BODY_CHARS = 1_500;
    private static final List<String> CONTRACT_HEADERS = List.of("content-type", "retry-after", "retry-after-ms",
            "x-should-retry", "x-request-id", "x-ratelimit-limit-requests", "x-ratelimit-limit-tokens",
            "x-ratelimit-remaining-requests", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-requests",
            "x-ratelimit-reset-tokens", "idempotency-key");

    public Evidence {
        requireNonNull(note, "note");
        requireNonNull(purpose, "purpose");
        requireNonNull(request, "request");
        requestHeaders = Map.copyOf(requestHeaders);
        requireNonNull(requestBody, "requestBody");
        responseHeaders = Map.copyOf(responseHeaders);
        requireNonNull(responseExcerpt, "responseExcerpt");
    }

    /** Evidence for an exchange; {@code excerpt} replaces the default body excerpt when not null. */
    static Evidence of(Exchange exchange, String note, String excerpt) {
        Map<String, String> requestHeaders = new TreeMap<>();
        exchange.request().headers().forEach((name, value) -> {
            if (!name.equals("accept")) {
                requestHeaders.put(name, value);
            }
        });
        Map<String, String> responseHeaders = new TreeMap<>();
        String body = "";
        if (exchange.response().isPresent()) {
            RecordedResponse response = exchange.response().get();
            for (String name : CONTRACT_HEADERS) {
                response.header(name).ifPresent(v -> responseHeaders.put(name, v));
            }
            body = excerpt != null ? excerpt : defaultExcerpt(response);
        }
        return new Evidence(note, exchange.purpose(), exchange.request().method() + " " + exchange.request().url(),
                requestHeaders, shorten(exchange.request().body()), exchange.status(), responseHeaders, body,
                exchange.transportError().orElse(null));
    }

    private static String defaultExcerpt(RecordedResponse response) {
        if (response.isEventStream()) {
            SseTranscript sse = response.sse();
            List<SseEvent> events = sse.events();
            StringBuilder out = new StringBuilder();
            int shown = 0;
            for (int i = 0; i < events.size(); i++) {
                if (i < 3 || i >= events.size() - 3) {
                    out.append("data: ").append(shorten(events.get(i).data(), 400)).append('\n');
                    shown++;
                } else if (i == 3) {
                    out.append("... (").append(events.size() - 6).append(" more events)\n");
                }
            }
            return shown == 0 ? shorten(response.text()) : out.toString();
        }
        return shorten(response.text());
    }

    static String shorten(String text) {
        return shorten(text, MAX_BODY_CHARS);
    }

    static String shorten(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max) + "... (" + text.length() + " chars)";
    }
}
