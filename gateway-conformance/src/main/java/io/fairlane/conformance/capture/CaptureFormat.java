package io.fairlane.conformance.capture;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import io.fairlane.conformance.wire.Exchange;
import io.fairlane.conformance.wire.RecordedRequest;
import io.fairlane.conformance.wire.RecordedResponse;
import io.fairlane.conformance.wire.SseEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes capture files: JSON Lines, one {@link CaptureRecord} per line, blank lines and lines
 * starting with {@code #} ignored. The format is documented in {@code docs/conformance.md} so that
 * recorders elsewhere (the gateway's) can write it without depending on this module.
 */
public final class CaptureFormat {

    public static final int VERSION = 1;

    static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private CaptureFormat() {
    }

    /** A record read from a file, with its line number for reports. */
    public record Line(int number, CaptureRecord record) {
    }

    /** Reads every record; a malformed line fails the whole read with its line number. */
    public static List<Line> read(Path file) {
        requireNonNull(file, "file");
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read capture " + file, e);
        }
        List<Line> records = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            records.add(new Line(i + 1, parse(line, file + ":" + (i + 1))));
        }
        return records;
    }

    static CaptureRecord parse(String line, String where) {
        try {
            return JSON.readValue(line, CaptureRecord.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + ": not a capture record: " + e.getOriginalMessage(), e);
        }
    }

    /** One record as a single line of JSON (without the line terminator). */
    public static String line(CaptureRecord record) {
        try {
            return JSON.writeValueAsString(record);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("record cannot be written as JSON", e);
        }
    }

    public static void write(Path file, List<CaptureRecord> records) {
        StringBuilder out = new StringBuilder();
        records.forEach(r -> out.append(line(r)).append('\n'));
        try {
            Files.writeString(file, out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write capture " + file, e);
        }
    }

    /** A capture record for an exchange the harness made (credentials are already redacted in it). */
    public static CaptureRecord fromExchange(Exchange exchange) {
        RecordedRequest request = exchange.request();
        URI url = URI.create(request.url());
        String path = url.getRawPath() + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        JsonNode requestBody = parseOrNull(request.body());
        CapturedRequest capturedRequest = new CapturedRequest(request.method(), path, request.headers(),
                requestBody, requestBody == null && !request.body().isEmpty() ? request.body() : null);
        RecordedResponse response = exchange.responseOrThrow();
        Map<String, String> headers = new TreeMap<>();
        response.headers().forEach((name, values) -> {
            if (!values.isEmpty()) {
                headers.put(name.toLowerCase(Locale.ROOT), RecordedRequest.SECRET_HEADERS.contains(name)
                        ? RecordedRequest.REDACTED : values.getFirst());
            }
        });
        CapturedResponse capturedResponse;
        if (response.isEventStream()) {
            List<CapturedEvent> events = new ArrayList<>();
            for (SseEvent event : response.sse().events()) {
                events.add(new CapturedEvent(null, event.json().orElse(TextNode.valueOf(event.data()))));
            }
            capturedResponse = new CapturedResponse(response.status(), headers, null, null, events);
        } else {
            JsonNode body = response.json().orElse(null);
            capturedResponse = new CapturedResponse(response.status(), headers, body,
                    body == null && response.body().length > 0 ? response.text() : null, null);
        }
        return new CaptureRecord(VERSION, null, null, null, capturedRequest, capturedResponse);
    }

    private static JsonNode parseOrNull(String text) {
        if (text.isEmpty()) {
            return null;
        }
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return null;
        }
    }
}
