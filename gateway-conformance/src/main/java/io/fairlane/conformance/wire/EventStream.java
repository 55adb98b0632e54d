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
 * A {@code text/event-stream} body of named events, as the Responses API streams them: each event an
 * {@code event: <type>} line, a {@code data: <json>} line and a blank line. Parsed as the SSE specification says
 * (data lines of one event joined), with the deviations clients trip on recorded in {@link #problems()}: an event
 * without a name, data that is not JSON, an unterminated last event, a {@code [DONE]} (chat's terminator, which
 * Responses streams do not send).
 *
 * @param events   the events in order
 * @param problems framing problems, each a sentence
 */
public record EventStream(List<Event> events, List<String> problems) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One event.
     *
     * @param line the line its first field is on, 1-based
     * @param name its {@code event:} name, or null when it had none
     * @param data its data, the data lines joined
     * @param json the data as JSON, empty when it is not
     */
    public record Event(int line, String name, String data, Optional<JsonNode> json) {
        public Event {
            requireNonNull(data, "data");
            requireNonNull(json, "json");
        }

        /** The {@code type} of the event's JSON, or null. */
        public String type() {
            return json.map(j -> j.path("type").asText(null)).orElse(null);
        }
    }

    public EventStream {
        events = List.copyOf(events);
        problems = List.copyOf(problems);
    }

    public static EventStream parse(byte[] body) {
        requireNonNull(body, "body");
        String text = new String(body, StandardCharsets.UTF_8);
        List<String> lines = SseTranscript.splitLines(text);
        List<Event> events = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        String name = null;
        StringBuilder data = null;
        int start = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty()) {
                if (data != null) {
                    events.add(event(start, name, data.toString(), problems));
                } else if (name != null) {
                    problems.add("line " + start + ": event '" + name + "' has no data");
                }
                name = null;
                data = null;
                continue;
            }
            if (line.startsWith(":")) {
                continue;
            }
            if (name == null && data == null) {
                start = i + 1;
            }
            if (line.startsWith("event:")) {
                name = line.substring(6).strip();
            } else if (line.startsWith("data:")) {
                String payload = line.substring(5);
                payload = payload.startsWith(" ") ? payload.substring(1) : payload;
                data = data == null ? new StringBuilder(payload) : data.append('\n').append(payload);
            }
        }
        if (data != null) {
            problems.add("the last event is not followed by a blank line (SSE parsers discard it)");
            events.add(event(start, name, data.toString(), problems));
        }
        if (events.isEmpty()) {
            problems.add("the body holds no events");
        }
        return new EventStream(events, problems);
    }

    private static Event event(int line, String name, String data, List<String> problems) {
        if (data.strip().equals(SseEvent.DONE)) {
            problems.add("line " + line + ": data: [DONE], which ends chat streams, not Responses streams");
            return new Event(line, name, data, Optional.empty());
        }
        Optional<JsonNode> json;
        try {
            json = Optional.ofNullable(JSON.readTree(data));
        } catch (JsonProcessingException e) {
            json = Optional.empty();
            problems.add("line " + line + ": data is not JSON: " + SseTranscript.abbreviate(data));
        }
        if (name == null) {
            problems.add("line " + line + ": an event without an 'event:' line");
        }
        return new Event(line, name, data, json);
    }

    /** The events' JSON, those that have it, in order. */
    public List<JsonNode> jsons() {
        return events.stream().flatMap(e -> e.json().stream()).toList();
    }

    /** The types of the events, in order. */
    public List<String> types() {
        return events.stream().map(Event::type).toList();
    }
}
