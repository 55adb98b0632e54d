package io.fairlane.conformance.wire;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * One server-sent event as a line-oriented client sees it: the payload of a single {@code data:} line.
 *
 * @param line 1-based line number of the {@code data:} line in the body
 * @param data the payload after {@code data:} and its optional single space
 * @param json the payload parsed as JSON, empty for {@code [DONE]} or text that is not JSON
 */
public record SseEvent(int line, String data, Optional<JsonNode> json) {

    public static final String DONE = "[DONE]";

    public SseEvent {
        requireNonNull(data, "data");
        requireNonNull(json, "json");
    }

    public boolean isDone() {
        return DONE.equals(data.strip());
    }

    /** An error event sent after streaming began: {@code data: {"error": {...}}}. */
    public boolean isError() {
        return json.map(node -> node.has("error") && !node.has("choices")).orElse(false);
    }

    /** A chat completion chunk: any JSON object that is not an error event. */
    public boolean isChunk() {
        return json.map(node -> node.isObject() && !isError()).orElse(false);
    }
}
