package io.fairlane.conformance.wire;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A response as the harness received it: status, headers (names lower-cased) and the whole body.
 * The body array is owned by this record and never modified.
 */
public record RecordedResponse(int status, Map<String, List<String>> headers, byte[] body) {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    public RecordedResponse {
        TreeMap<String, List<String>> lower = new TreeMap<>();
        requireNonNull(headers, "headers").forEach((name, values) ->
                lower.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new java.util.ArrayList<>()).addAll(values));
        headers = Map.copyOf(lower);
        requireNonNull(body, "body");
    }

    public Optional<String> header(String name) {
        List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.getFirst());
    }

    public String contentType() {
        return header("content-type").orElse("");
    }

    public boolean isEventStream() {
        return contentType().toLowerCase(Locale.ROOT).startsWith("text/event-stream");
    }

    public String text() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** The body as JSON when it parses as such. */
    public Optional<JsonNode> json() {
        if (body.length == 0) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(JSON.readTree(body));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The body read as an event stream, whatever its content type says. */
    public SseTranscript sse() {
        return SseTranscript.parse(body);
    }

    @Override
    public String toString() {
        return "RecordedResponse[status=" + status + ", contentType=" + contentType() + ", bytes=" + body.length + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecordedResponse r && r.status == status && r.headers.equals(headers)
                && java.util.Arrays.equals(r.body, body);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * status + headers.hashCode()) + java.util.Arrays.hashCode(body);
    }
}
