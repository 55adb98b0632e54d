package io.fairlane.gateway.responses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.http.RequestIds;
import io.fairlane.gateway.openai.ResponsesRequest;
import java.util.List;
import java.util.Objects;

/**
 * The response object of one {@code /v1/responses} request as OpenAI writes it, at any point of its life: the id
 * and creation time fixed when the request arrives, the request's settings echoed (model, instructions, tools, tool
 * choice, text format, sampling, metadata, store, truncation, tier), then the status, output items, usage and why it
 * is incomplete. Shapes only: which event carries it when is the filters' business.
 *
 * <p>Immutable; {@link #object} builds a new tree each call.
 */
final class ResponseDraft {

    private final String id;
    private final long createdAt;
    private final ResponsesRequest request;
    private final String serviceTier;

    ResponseDraft(ResponsesRequest request, String serviceTier) {
        this(RequestIds.generate("resp_"), System.currentTimeMillis() / 1000, request, serviceTier);
    }

    ResponseDraft(String id, long createdAt, ResponsesRequest request, String serviceTier) {
        this.id = Objects.requireNonNull(id, "id");
        this.createdAt = createdAt;
        this.request = Objects.requireNonNull(request, "request");
        this.serviceTier = Objects.requireNonNull(serviceTier, "serviceTier");
    }

    String id() {
        return id;
    }

    long createdAt() {
        return createdAt;
    }

    ResponsesRequest request() {
        return request;
    }

    /**
     * The response object.
     *
     * @param status     {@code in_progress}, {@code completed}, {@code incomplete} or {@code failed}
     * @param output     the output items so far
     * @param usage      the Responses-shaped usage, or null while unknown
     * @param incomplete why it is incomplete ({@code max_output_tokens}, {@code content_filter}), or null
     */
    ObjectNode object(String status, List<ObjectNode> output, ObjectNode usage, String incomplete) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", id);
        o.put("object", "response");
        o.put("created_at", createdAt);
        o.put("status", status);
        o.put("background", false);
        if ("completed".equals(status)) {
            o.put("completed_at", System.currentTimeMillis() / 1000);
        } else {
            o.putNull("completed_at");
        }
        o.putNull("error");
        if (incomplete == null) {
            o.putNull("incomplete_details");
        } else {
            o.putObject("incomplete_details").put("reason", incomplete);
        }
        putNullable(o, "instructions", request.instructions());
        if (request.maxOutputTokens().isPresent()) {
            o.put("max_output_tokens", request.maxOutputTokens().getAsInt());
        } else {
            o.putNull("max_output_tokens");
        }
        o.putNull("max_tool_calls");
        o.put("model", request.model());
        ArrayNode items = o.putArray("output");
        output.forEach(items::add);
        o.put("parallel_tool_calls", request.parallelToolCalls());
        putNullable(o, "previous_response_id", request.previousResponseId());
        ObjectNode reasoning = o.putObject("reasoning");
        putNullable(reasoning, "effort", request.reasoningEffort());
        putNullable(reasoning, "summary", request.reasoningSummary());
        o.put("service_tier", serviceTier);
        o.put("store", request.store());
        o.put("temperature", request.temperature().orElse(1.0));
        ObjectNode text = o.putObject("text");
        text.set("format", request.textFormat().raw().deepCopy());
        JsonNode verbosity = request.raw().path("text").path("verbosity");
        text.put("verbosity", verbosity.isTextual() ? verbosity.textValue() : "medium");
        JsonNode choice = request.raw().get("tool_choice");
        if (choice == null || choice.isNull()) {
            o.put("tool_choice", "auto");
        } else {
            o.set("tool_choice", choice.deepCopy());
        }
        ArrayNode tools = o.putArray("tools");
        for (ResponsesRequest.FunctionTool t : request.tools()) {
            ObjectNode tool = tools.addObject();
            tool.put("type", "function");
            tool.put("name", t.name());
            putNullable(tool, "description", t.description());
            if (t.parameters() == null) {
                tool.putNull("parameters");
            } else {
                tool.set("parameters", t.parameters().deepCopy());
            }
            tool.put("strict", t.strict());
        }
        o.put("top_p", request.topP().orElse(1.0));
        o.put("truncation", request.truncation());
        if (usage == null) {
            o.putNull("usage");
        } else {
            o.set("usage", usage);
        }
        putNullable(o, "user", request.user());
        ObjectNode metadata = o.putObject("metadata");
        request.metadata().forEach(metadata::put);
        return o;
    }

    /** A chat completion's {@code usage} as the Responses API writes it: input and output tokens, with details. */
    static ObjectNode usage(JsonNode chat) {
        int input = chat.path("prompt_tokens").asInt(0);
        int output = chat.path("completion_tokens").asInt(0);
        ObjectNode u = Json.MAPPER.createObjectNode();
        u.put("input_tokens", input);
        ObjectNode in = u.putObject("input_tokens_details");
        in.put("cached_tokens", chat.path("prompt_tokens_details").path("cached_tokens").asInt(0));
        in.put("cache_write_tokens", 0);
        u.put("output_tokens", output);
        u.putObject("output_tokens_details").put("reasoning_tokens",
                chat.path("completion_tokens_details").path("reasoning_tokens").asInt(0));
        u.put("total_tokens", input + output);
        return u;
    }

    private static void putNullable(ObjectNode o, String name, String value) {
        if (value == null) {
            o.putNull(name);
        } else {
            o.put(name, value);
        }
    }

    @Override
    public String toString() {
        return "ResponseDraft[" + id + "]";
    }
}
