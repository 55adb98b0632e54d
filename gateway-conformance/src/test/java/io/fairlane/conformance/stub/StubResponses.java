package io.fairlane.conformance.stub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The stub's Responses API, {@code /v1/responses}: a response (a short fixed text, a forced call of the first
 * declared tool, or, under a JSON Schema format, a forecast that validates against the harness's schema), its event
 * stream, stored responses (retrieve, input items, delete, {@code previous_response_id}), and the errors the harness
 * provokes. Each {@link Breakage} of a Responses or structured-output check breaks exactly what it names.
 */
final class StubResponses {

    /** A forecast that validates against the harness's schema. */
    static final String FORECAST = "{\"city\":\"Oslo\",\"days\":3,\"units\":\"celsius\"}";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TEXT = List.of("The", " sea", " is", " calm", " tonight.");

    private final StubOpenAiServer server;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<String, Stored> stored = new ConcurrentHashMap<>();

    /** A stored response as answered, its input items, and its output as a continuation reads it. */
    private record Stored(ObjectNode response, ArrayNode items, JsonNode output) {
    }

    StubResponses(StubOpenAiServer server) {
        this.server = server;
    }

    private boolean broken(Breakage b) {
        return server.broken(b);
    }

    void handle(HttpExchange exchange, String method, String path, byte[] body) throws IOException {
        if (method.equals("POST") && path.equals("/v1/responses")) {
            JsonNode request;
            try {
                request = JSON.readTree(body);
            } catch (IOException e) {
                server.sendError(exchange, 400, "invalid_request_error", "The body is not JSON.", null, "invalid_json");
                return;
            }
            create(exchange, request);
            return;
        }
        String rest = path.substring("/v1/responses/".length());
        boolean items = rest.endsWith("/input_items");
        String id = items ? rest.substring(0, rest.length() - "/input_items".length()) : rest;
        Stored s = broken(Breakage.RESPONSES_STORE_FORGETS) ? null : stored.get(id);
        if (s == null) {
            server.sendError(exchange, 404, "invalid_request_error", "No response with id '" + id + "'.", null,
                    "not_found");
        } else if (method.equals("DELETE")) {
            stored.remove(id);
            StubOpenAiServer.sendJson(exchange, 200, JSON.createObjectNode().put("id", id)
                    .put("object", "response.deleted").put("deleted", true));
        } else if (items) {
            ObjectNode list = JSON.createObjectNode().put("object", "list");
            list.set("data", s.items());
            if (!broken(Breakage.SCHEMA_RESPONSE_ITEMS_NO_FIRST_ID)) {
                list.put("first_id", s.items().path(0).path("id").asText());
            }
            list.put("last_id", s.items().path(s.items().size() - 1).path("id").asText());
            list.put("has_more", false);
            StubOpenAiServer.sendJson(exchange, 200, list);
        } else {
            StubOpenAiServer.sendJson(exchange, 200, s.response());
        }
    }

    private void create(HttpExchange exchange, JsonNode request) throws IOException {
        String model = request.path("model").asText("");
        if (!model.equals(StubOpenAiServer.CHAT_MODEL) && !model.equals(StubOpenAiServer.MID_STREAM_ERROR_MODEL)) {
            server.sendError(exchange, 404, "invalid_request_error", "The model '" + model + "' does not exist.",
                    "model", "model_not_found");
            return;
        }
        ArrayNode items = JSON.createArrayNode();
        String previous = request.path("previous_response_id").asText(null);
        if (previous != null) {
            Stored p = stored.get(previous);
            if (p == null) {
                server.sendError(exchange, 400, "invalid_request_error", "Previous response with id '" + previous
                        + "' not found.", "previous_response_id", "previous_response_not_found");
                return;
            }
            items.addAll(p.items());
            p.output().forEach(items::add);
        }
        JsonNode input = request.path("input");
        if (input.isTextual()) {
            items.add(message("msg_in_" + ids.incrementAndGet(), "user", "input_text", input.asText()));
        } else {
            for (int i = 0; i < input.size(); i++) {
                String type = input.get(i).path("type").asText("message");
                if (!List.of("message", "function_call", "function_call_output", "reasoning").contains(type)
                        && !broken(Breakage.RESPONSES_BAD_ITEM_ACCEPTED)) {
                    server.sendError(exchange, 400, "invalid_request_error", "Invalid value: '" + type + "'.",
                            "input[" + i + "].type", "invalid_value");
                    return;
                }
                ObjectNode item = input.get(i).deepCopy();
                item.put("id", "item_in_" + ids.incrementAndGet());
                items.add(item);
            }
        }
        String id = "resp_stub_" + ids.incrementAndGet();
        JsonNode tool = request.path("tools").path(0);
        boolean call = !tool.isMissingNode() && !"none".equals(request.path("tool_choice").asText(""));
        boolean schema = "json_schema".equals(request.path("text").path("format").path("type").asText(""));
        String arguments = broken(Breakage.STRUCTURED_TOOL_ARGUMENTS_INVALID) ? "{\"town\":\"Paris\"}"
                : "{\"city\":\"Paris\"}";
        List<String> text = schema && !broken(Breakage.STRUCTURED_RESPONSES_IGNORES_SCHEMA)
                ? List.of(FORECAST.substring(0, 10), FORECAST.substring(10)) : TEXT;
        ObjectNode item = call ? callItem("fc_" + id, "call_" + id, tool.path("name").asText(), arguments)
                : message("msg_" + id, "assistant", "output_text", String.join("", text));
        ObjectNode done = response(id, request, "completed", List.of(item), true);
        if (request.path("store").asBoolean(true)) {
            stored.put(id, new Stored(done, items, done.path("output")));
        }
        if (!request.path("stream").asBoolean(false)) {
            ObjectNode answered = done.deepCopy();
            JsonNode first = answered.path("output").path(0);
            if (broken(Breakage.RESPONSES_ITEM_NO_ROLE) && !call) {
                ((ObjectNode) first).remove("role");
            }
            if (broken(Breakage.RESPONSES_CALL_NO_CALL_ID) && call) {
                ((ObjectNode) first).remove("call_id");
            }
            if (broken(Breakage.RESPONSES_USAGE_NO_DETAILS)) {
                ((ObjectNode) answered.path("usage")).remove("output_tokens_details");
            }
            if (request.path("store").asBoolean(true)) {
                stored.put(id, new Stored(answered, items, done.path("output")));
            }
            StubOpenAiServer.sendJson(exchange, 200, answered);
            return;
        }
        stream(exchange, request, id, item, text, arguments, done);
    }

    private void stream(HttpExchange exchange, JsonNode request, String id, ObjectNode item, List<String> text,
                        String arguments, ObjectNode done) throws IOException {
        boolean faulty = StubOpenAiServer.MID_STREAM_ERROR_MODEL.equals(request.path("model").asText());
        boolean plain = !item.path("type").asText().equals("function_call") && text == TEXT && !faulty;
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        List<ObjectNode> events = new ArrayList<>();
        events.add(event("response.created").set("response", response(id, request, "in_progress", List.of(), false)));
        events.add(event("response.in_progress").set("response", response(id, request, "in_progress", List.of(),
                false)));
        String itemId = item.path("id").asText();
        ObjectNode opened = item.deepCopy().put("status", "in_progress");
        if (item.path("type").asText().equals("function_call")) {
            opened.put("arguments", "");
            events.add(event("response.output_item.added").put("output_index", 0).set("item", opened));
            List<String> pieces = List.of(arguments.substring(0, 9), arguments.substring(9));
            for (int i = 0; i < pieces.size(); i++) {
                if (i == 1 && broken(Breakage.RESPONSES_CALL_DELTAS_LOSE_A_PIECE)) {
                    continue;
                }
                events.add(event("response.function_call_arguments.delta").put("item_id", itemId)
                        .put("output_index", 0).put("delta", pieces.get(i)));
            }
            events.add(event("response.function_call_arguments.done").put("item_id", itemId).put("output_index", 0)
                    .put("name", item.path("name").asText()).put("arguments", arguments));
        } else {
            opened.putArray("content");
            ObjectNode added = event("response.output_item.added").put("output_index", 0);
            added.set("item", opened);
            ObjectNode part = event("response.content_part.added").put("item_id", itemId).put("output_index", 0)
                    .put("content_index", 0);
            part.set("part", textPart("", plain && broken(Breakage.SCHEMA_RESPONSE_PART_NO_ANNOTATIONS)));
            List<ObjectNode> deltas = new ArrayList<>();
            for (String piece : text) {
                ObjectNode d = event("response.output_text.delta").put("item_id", itemId).put("output_index", 0)
                        .put("content_index", 0).put("delta", piece);
                d.putArray("logprobs");
                deltas.add(d);
            }
            if (plain && broken(Breakage.RESPONSES_DELTA_BEFORE_ITEM)) {
                events.add(deltas.removeFirst());
            }
            events.add(added);
            events.add(part);
            if (faulty) {
                events.add(deltas.getFirst());
                if (broken(Breakage.RESPONSES_MID_STREAM_COMPLETED)) {
                    events.add(event("response.completed").set("response", done));
                } else {
                    events.add(event("error").put("code", "server_error").put("message",
                            "The engine failed while generating.").putNull("param"));
                }
                send(exchange, events, false);
                return;
            }
            events.addAll(deltas);
            String full = String.join("", text);
            String doneText = plain && broken(Breakage.RESPONSES_DONE_TEXT_DIFFERS) ? full.substring(0, 8) : full;
            ObjectNode textDone = event("response.output_text.done").put("item_id", itemId).put("output_index", 0)
                    .put("content_index", 0).put("text", doneText);
            textDone.putArray("logprobs");
            events.add(textDone);
            ObjectNode partDone = event("response.content_part.done").put("item_id", itemId).put("output_index", 0)
                    .put("content_index", 0);
            partDone.set("part", textPart(full, false));
            events.add(partDone);
        }
        events.add(event("response.output_item.done").put("output_index", 0).set("item", item));
        events.add(event("response.completed").set("response", done));
        send(exchange, events, plain && broken(Breakage.RESPONSES_SEQUENCE_REPEATS));
    }

    private static void send(HttpExchange exchange, List<ObjectNode> events, boolean repeatOne) throws IOException {
        try (OutputStream out = exchange.getResponseBody()) {
            for (int i = 0; i < events.size(); i++) {
                ObjectNode e = events.get(i);
                e.put("sequence_number", repeatOne && i == 3 ? 2 : i);
                StubOpenAiServer.write(out, "event: " + e.path("type").asText() + "\ndata: "
                        + JSON.writeValueAsString(e) + "\n\n");
            }
        }
    }

    private static ObjectNode event(String type) {
        return JSON.createObjectNode().put("type", type);
    }

    private static ObjectNode textPart(String text, boolean withoutAnnotations) {
        ObjectNode p = JSON.createObjectNode().put("type", "output_text").put("text", text);
        if (!withoutAnnotations) {
            p.putArray("annotations");
        }
        p.putArray("logprobs");
        return p;
    }

    private static ObjectNode message(String id, String role, String partType, String text) {
        ObjectNode m = JSON.createObjectNode().put("id", id).put("type", "message").put("status", "completed")
                .put("role", role);
        ObjectNode part = m.putArray("content").addObject().put("type", partType).put("text", text);
        if (partType.equals("output_text")) {
            part.putArray("annotations");
            part.putArray("logprobs");
        }
        return m;
    }

    private static ObjectNode callItem(String id, String callId, String name, String arguments) {
        return JSON.createObjectNode().put("id", id).put("type", "function_call").put("status", "completed")
                .put("call_id", callId).put("name", name).put("arguments", arguments);
    }

    private static ObjectNode response(String id, JsonNode request, String status, List<ObjectNode> output,
                                       boolean usage) {
        ObjectNode r = JSON.createObjectNode();
        r.put("id", id).put("object", "response").put("created_at", 1_727_000_000L).put("status", status);
        r.putNull("error");
        r.putNull("incomplete_details");
        r.set("instructions", request.path("instructions").isTextual() ? request.get("instructions")
                : JSON.getNodeFactory().nullNode());
        r.put("model", request.path("model").asText());
        r.putArray("output").addAll(output);
        r.put("parallel_tool_calls", true);
        r.set("previous_response_id", request.path("previous_response_id").isTextual()
                ? request.get("previous_response_id") : JSON.getNodeFactory().nullNode());
        r.put("store", request.path("store").asBoolean(true));
        r.put("temperature", request.path("temperature").asDouble(1.0));
        r.putObject("text").set("format", request.path("text").path("format").isObject()
                ? request.path("text").path("format") : JSON.createObjectNode().put("type", "text"));
        r.set("tool_choice", request.has("tool_choice") ? request.get("tool_choice")
                : JSON.getNodeFactory().textNode("auto"));
        ArrayNode tools = r.putArray("tools");
        for (JsonNode t : request.path("tools")) {
            ObjectNode tool = t.deepCopy();
            if (!tool.has("strict")) {
                tool.put("strict", true);
            }
            if (!tool.has("parameters")) {
                tool.putNull("parameters");
            }
            tools.add(tool);
        }
        r.put("top_p", 1.0).put("truncation", "disabled");
        if (usage) {
            ObjectNode u = r.putObject("usage").put("input_tokens", 12);
            u.putObject("input_tokens_details").put("cached_tokens", 0).put("cache_write_tokens", 0);
            u.put("output_tokens", 5);
            u.putObject("output_tokens_details").put("reasoning_tokens", 0);
            u.put("total_tokens", 17);
        } else {
            r.putNull("usage");
        }
        r.putNull("user");
        r.putObject("metadata");
        return r;
    }
}
