package io.fairlane.conformance.capture;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * One server-sent event of a recorded stream.
 *
 * @param event the {@code event:} field, null for chat completion streams (which send none)
 * @param data the payload: its JSON when it parses as JSON, else the text as a JSON string (e.g. "[DONE]")
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CapturedEvent(String event, JsonNode data) {

    public CapturedEvent {
        requireNonNull(data, "data");
    }

    public boolean isDone() {
        return data.isTextual() && data.asText().strip().equals("[DONE]");
    }

    /** Prints the event's kind, never its text. */
    @Override
    public String toString() {
        return "CapturedEvent[" + (event == null ? "" : event + ", ") + (isDone() ? "[DONE]" : data.getNodeType()) + "]";
    }
}
