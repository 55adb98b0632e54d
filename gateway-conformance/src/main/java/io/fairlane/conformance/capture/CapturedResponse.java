package io.fairlane.conformance.capture;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * A recorded response: a JSON body, a non-JSON body, or the events of a stream.
 *
 * @param status HTTP status
 * @param headers header names in lower case
 * @param body the body when it is JSON (not a stream), else null
 * @param bodyText the body when it is neither JSON nor a stream, else null
 * @param events the stream's events in order (the {@code [DONE]} event included) when the response was
 *        {@code text/event-stream}, else null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CapturedResponse(int status, Map<String, String> headers, JsonNode body, String bodyText,
        List<CapturedEvent> events) {

    public CapturedResponse {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status must be an HTTP status, was " + status);
        }
        headers = headers == null ? Map.of() : Map.copyOf(headers);
        events = events == null ? null : List.copyOf(events);
    }

    public boolean isStream() {
        return events != null;
    }

    /** Prints sizes, never the content: it holds generated text. */
    @Override
    public String toString() {
        return "CapturedResponse[status=" + status + ", " + (events != null ? events.size() + " events"
                : body != null ? "json body" : bodyText != null ? bodyText.length() + " chars" : "no body") + "]";
    }
}
