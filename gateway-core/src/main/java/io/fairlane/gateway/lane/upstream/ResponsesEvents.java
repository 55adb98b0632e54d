package io.fairlane.gateway.lane.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.gateway.openai.TokenUsage;

/**
 * What the relay reads in an upstream's Responses API answer, which it forwards as it is (the client-facing
 * normalisation is the Responses endpoint's): the tokens a finished response reports, for metering and for settling
 * the request's ticket, and whether an event carried output, for time to first token and inter-token latency.
 * Stateless.
 */
final class ResponsesEvents {

    private ResponsesEvents() {
    }

    /** The usage of a response object, or of the response a terminal event carries; {@link TokenUsage#NONE} if none. */
    static TokenUsage usage(JsonNode responseOrEvent) {
        if (responseOrEvent == null) {
            return TokenUsage.NONE;
        }
        JsonNode response = responseOrEvent.has("response") ? responseOrEvent.get("response") : responseOrEvent;
        JsonNode u = response.path("usage");
        if (!u.isObject()) {
            return TokenUsage.NONE;
        }
        return new TokenUsage(Math.max(0, u.path("input_tokens").asInt(0)),
                Math.max(0, u.path("input_tokens_details").path("cached_tokens").asInt(0)),
                Math.max(0, u.path("output_tokens").asInt(0)),
                Math.max(0, u.path("output_tokens_details").path("reasoning_tokens").asInt(0)));
    }

    /** Whether a stream event delivers a piece of output (text, arguments, reasoning). */
    static boolean carriesOutput(JsonNode event) {
        String type = event.path("type").asText();
        return type.endsWith(".delta") && event.path("delta").isTextual() && !event.path("delta").asText().isEmpty();
    }

    /** Whether a stream event ends the response (its usage is the response's). */
    static boolean terminal(JsonNode event) {
        String type = event.path("type").asText();
        return type.equals("response.completed") || type.equals("response.incomplete")
                || type.equals("response.failed");
    }
}
