package io.fairlane.conformance.wire;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A {@code text/event-stream} body read line by line, with every deviation from the framing that real
 * clients rely on: each event a single {@code data: } line followed by a blank line, nothing but data
 * fields and comments, and a final event that is terminated (an SSE parser drops an unterminated last
 * event at end of stream).
 *
 * <p>Events are listed the way line-oriented clients read them (each {@code data:} line is one event), so
 * a framing fault shows up in {@link #framingProblems()} and the chunks can still be checked on their own
 * merits.
 */
public record SseTranscript(List<SseEvent> events, List<String> framingProblems) {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    public SseTranscript {
        events = List.copyOf(requireNonNull(events, "events"));
        framingProblems = List.copyOf(requireNonNull(framingProblems, "framingProblems"));
    }

    public static SseTranscript parse(byte[] body) {
        requireNonNull(body, "body");
        String text = new String(body, StandardCharsets.UTF_8);
        List<String> lines = splitLines(text);
        boolean endsWithNewline = !text.isEmpty() && (text.endsWith("\n") || text.endsWith("\r"));
        List<SseEvent> events = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        boolean pendingData = false; // a data line has been read since the last blank line
        for (int i = 0; i < lines.size(); i++) {
            int lineNo = i + 1;
            String line = lines.get(i);
            boolean lastLine = i == lines.size() - 1;
            if (line.isEmpty()) {
                pendingData = false;
                continue;
            }
            if (line.startsWith(":")) {
                continue; // comment, e.g. keep-alive
            }
            if (line.startsWith("data:")) {
                if (pendingData) {
                    problems.add("line " + lineNo + ": a second data line without a blank line before it"
                            + " (an SSE parser joins the two into one event, a line reader sees two)");
                }
                String payload = line.substring(5);
                if (payload.startsWith(" ")) {
                    payload = payload.substring(1);
                } else {
                    problems.add("line " + lineNo + ": 'data:' without the space that clients matching"
                            + " 'data: ' expect");
                }
                events.add(new SseEvent(lineNo, payload, parseJson(payload)));
                if (!payload.strip().equals(SseEvent.DONE) && parseJson(payload).isEmpty()) {
                    problems.add("line " + lineNo + ": data is neither JSON nor [DONE]: " + abbreviate(payload));
                }
                pendingData = true;
                if (lastLine && !endsWithNewline) {
                    problems.add("line " + lineNo + ": the body ends inside this line");
                }
                continue;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            problems.add("line " + lineNo + ": field '" + abbreviate(field) + "' is not part of a chat"
                    + " completion stream (only 'data:' lines and ':' comments are)");
        }
        if (pendingData) {
            problems.add("the last event is not followed by a blank line (SSE parsers discard it)");
        }
        if (events.isEmpty()) {
            problems.add("the body holds no data lines");
        }
        return new SseTranscript(events, problems);
    }

    /** The JSON chunks (neither {@code [DONE]} nor error events), in order. */
    public List<JsonNode> chunks() {
        return events.stream().filter(SseEvent::isChunk).map(e -> e.json().orElseThrow()).toList();
    }

    public Optional<SseEvent> firstError() {
        return events.stream().filter(SseEvent::isError).findFirst();
    }

    private static Optional<JsonNode> parseJson(String payload) {
        String trimmed = payload.strip();
        if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readTree(trimmed));
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }

    /** Splits on CRLF, LF or CR, as the SSE specification does; a trailing terminator makes no empty line. */
    static List<String> splitLines(String text) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\r' || c == '\n') {
                lines.add(text.substring(start, i));
                if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                    i++;
                }
                start = i + 1;
            }
            i++;
        }
        if (start < text.length()) {
            lines.add(text.substring(start));
        }
        return lines;
    }

    static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
