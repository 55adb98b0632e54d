package io.fairlane.gateway.responses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.openai.ResponsesRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Every input item a response's model sees, in order: those of the response it continues
 * ({@code previous_response_id}: its own input items, then its output), then the request's own input. That list is
 * what the model is prompted with, what {@code GET /v1/responses/{id}/input_items} lists, and what a later response
 * continuing this one starts from, so a conversation's prefix is rendered the same way each turn (and a local
 * model's KV cache finds it). Instructions are not items: as in OpenAI's API, they are not carried over.
 *
 * <p>Work that grows with the conversation: built where requests are prepared. Immutable.
 *
 * @param items the items, input item shapes (a previous output message is an assistant message)
 * @param json  {@code items} as a JSON array, what the store keeps
 */
record Conversation(List<JsonNode> items, byte[] json) {

    Conversation {
        items = List.copyOf(items);
    }

    /** The conversation of {@code request}, continuing {@code previous} when it is not null. */
    static Conversation of(ResponsesRequest request, StoredResponse previous) {
        List<JsonNode> items = new ArrayList<>();
        if (previous != null) {
            try {
                Json.MAPPER.readTree(previous.items()).forEach(items::add);
                for (JsonNode out : Json.MAPPER.readTree(previous.response()).path("output")) {
                    JsonNode input = asInput(out);
                    if (input != null) {
                        items.add(input);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("stored response " + previous.id() + " is not readable", e);
            }
        }
        items.addAll(request.input());
        ArrayNode array = Json.MAPPER.createArrayNode();
        items.forEach(array::add);
        try {
            return new Conversation(items, Json.MAPPER.writeValueAsBytes(array));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An output item as a later request's input item; null for what a model's context does not hold. */
    private static JsonNode asInput(JsonNode out) {
        String type = out.path("type").asText();
        return switch (type) {
            case "message", "function_call", "reasoning" -> {
                ObjectNode o = out.deepCopy();
                if (o.path("status").asText().equals("in_progress")) {
                    o.put("status", "incomplete");
                }
                yield o;
            }
            default -> null;
        };
    }

    @Override
    public String toString() {
        return "Conversation[" + items.size() + " items, " + json.length + " bytes]";
    }
}
