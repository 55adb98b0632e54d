package io.fairlane.gateway.responses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.openai.ResponsesRequest;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Responses request as the Chat Completions request that serves it, and the way back for errors.
 *
 * <ul>
 *   <li>{@code instructions} become a first system message; input messages keep their role and text ({@code
 *       input_image} and {@code input_file} parts become chat's {@code image_url} and {@code file} parts);
 *       consecutive {@code function_call} items become one assistant message's {@code tool_calls} (joined to the
 *       assistant text right before them), each {@code function_call_output} a {@code tool} message; reasoning items
 *       are the model's own past thinking, passed back to a local model's template as the next assistant
 *       message's {@code reasoning_content} and dropped for an upstream.</li>
 *   <li>Flat function tools become chat's {@code {type: "function", function: {...}}}, {@code strict} kept;
 *       {@code tool_choice} likewise; {@code text.format} becomes {@code response_format};
 *       {@code max_output_tokens} {@code max_completion_tokens}; {@code reasoning.effort}
 *       {@code reasoning_effort}; a stream always asks for usage (the response reports it).</li>
 * </ul>
 *
 * <p>Stateless.
 */
final class ChatTranslation {

    private static final Pattern TOOL_FUNCTION = Pattern.compile("tools\\[(\\d+)]\\.function(\\..*)?");

    private ChatTranslation() {
    }

    /**
     * The chat request for {@code request}, prompting with {@code items} (its {@link Conversation}).
     *
     * @param local whether a local model serves it (its template reads past reasoning; an upstream would refuse the
     *              field)
     */
    static ObjectNode body(ResponsesRequest request, List<JsonNode> items, boolean local) {
        ObjectNode chat = Json.MAPPER.createObjectNode();
        chat.put("model", request.model());
        ArrayNode messages = chat.putArray("messages");
        if (request.instructions() != null) {
            messages.addObject().put("role", "system").put("content", request.instructions());
        }
        String pendingReasoning = null;
        ObjectNode lastAssistant = null;
        for (JsonNode item : items) {
            switch (item.path("type").asText()) {
                case "message" -> {
                    String role = item.path("role").asText();
                    ObjectNode m = messages.addObject();
                    m.put("role", role);
                    setContent(m, item.path("content"), role.equals("assistant"));
                    if (role.equals("assistant")) {
                        if (local && pendingReasoning != null) {
                            m.put("reasoning_content", pendingReasoning);
                        }
                        lastAssistant = m;
                    } else {
                        lastAssistant = null;
                    }
                    pendingReasoning = null;
                }
                case "function_call" -> {
                    if (lastAssistant == null) {
                        lastAssistant = messages.addObject();
                        lastAssistant.put("role", "assistant");
                        lastAssistant.putNull("content");
                        if (local && pendingReasoning != null) {
                            lastAssistant.put("reasoning_content", pendingReasoning);
                        }
                        pendingReasoning = null;
                    }
                    ArrayNode calls = lastAssistant.has("tool_calls") ? (ArrayNode) lastAssistant.get("tool_calls")
                            : lastAssistant.putArray("tool_calls");
                    ObjectNode call = calls.addObject();
                    call.put("id", item.path("call_id").asText());
                    call.put("type", "function");
                    call.putObject("function").put("name", item.path("name").asText())
                            .put("arguments", item.path("arguments").asText());
                }
                case "function_call_output" -> {
                    ObjectNode m = messages.addObject();
                    m.put("role", "tool");
                    m.put("tool_call_id", item.path("call_id").asText());
                    m.put("content", item.path("output").asText());
                    lastAssistant = null;
                }
                case "reasoning" -> pendingReasoning = reasoningText(item);
                default -> {
                    // Validated input holds nothing else; stored output of other types never becomes input.
                }
            }
        }
        tools(request, chat);
        format(request, chat);
        request.maxOutputTokens().ifPresent(max -> chat.put("max_completion_tokens", max));
        request.temperature().ifPresent(t -> chat.put("temperature", t));
        request.topP().ifPresent(p -> chat.put("top_p", p));
        if (request.reasoningEffort() != null) {
            chat.put("reasoning_effort", request.reasoningEffort());
        }
        if (request.user() != null) {
            chat.put("user", request.user());
        }
        chat.put("service_tier", request.serviceTier());
        copyText(request.raw(), chat, "prompt_cache_key");
        copyText(request.raw(), chat, "safety_identifier");
        if (request.stream()) {
            chat.put("stream", true);
            chat.putObject("stream_options").put("include_usage", true);
        }
        return chat;
    }

    private static void setContent(ObjectNode m, JsonNode parts, boolean assistant) {
        boolean allText = true;
        for (JsonNode p : parts) {
            String type = p.path("type").asText();
            allText &= type.equals("input_text") || type.equals("output_text") || type.equals("refusal");
        }
        if (allText || assistant) {
            StringBuilder text = new StringBuilder();
            for (JsonNode p : parts) {
                text.append(p.has("text") ? p.path("text").asText() : p.path("refusal").asText());
            }
            m.put("content", text.toString());
            return;
        }
        ArrayNode content = m.putArray("content");
        for (JsonNode p : parts) {
            switch (p.path("type").asText()) {
                case "input_text" -> content.addObject().put("type", "text").put("text", p.path("text").asText());
                case "input_image" -> {
                    ObjectNode image = content.addObject().put("type", "image_url").putObject("image_url");
                    image.put("url", p.path("image_url").asText(p.path("file_id").asText()));
                    if (p.path("detail").isTextual()) {
                        image.put("detail", p.path("detail").asText());
                    }
                }
                default -> { // input_file
                    ObjectNode file = content.addObject().put("type", "file").putObject("file");
                    copyText(p, file, "file_data");
                    copyText(p, file, "file_id");
                    copyText(p, file, "filename");
                }
            }
        }
    }

    private static String reasoningText(JsonNode item) {
        StringBuilder text = new StringBuilder();
        for (JsonNode c : item.path("content")) {
            text.append(c.path("text").asText());
        }
        return text.isEmpty() ? null : text.toString();
    }

    private static void tools(ResponsesRequest request, ObjectNode chat) {
        if (request.tools().isEmpty()) {
            return;
        }
        ArrayNode tools = chat.putArray("tools");
        for (ResponsesRequest.FunctionTool t : request.tools()) {
            ObjectNode fn = tools.addObject().put("type", "function").putObject("function");
            fn.put("name", t.name());
            if (t.description() != null) {
                fn.put("description", t.description());
            }
            if (t.parameters() != null) {
                fn.set("parameters", t.parameters());
            }
            fn.put("strict", t.strict());
        }
        chat.put("parallel_tool_calls", request.parallelToolCalls());
        String choice = request.toolChoice();
        if (choice == null) {
            return;
        }
        if (choice.startsWith("function:")) {
            chat.putObject("tool_choice").put("type", "function").putObject("function")
                    .put("name", choice.substring("function:".length()));
            return;
        }
        JsonNode allowed = request.raw().path("tool_choice").path("tools");
        if (allowed.isArray()) {
            ObjectNode at = chat.putObject("tool_choice").put("type", "allowed_tools").putObject("allowed_tools");
            at.put("mode", choice);
            ArrayNode list = at.putArray("tools");
            for (JsonNode a : allowed) {
                list.addObject().put("type", "function").putObject("function").put("name", a.path("name").asText());
            }
            return;
        }
        chat.put("tool_choice", choice);
    }

    private static void format(ResponsesRequest request, ObjectNode chat) {
        ResponsesRequest.TextFormat f = request.textFormat();
        switch (f.type()) {
            case "json_object" -> chat.putObject("response_format").put("type", "json_object");
            case "json_schema" -> {
                ObjectNode js = chat.putObject("response_format").put("type", "json_schema").putObject("json_schema");
                js.put("name", f.name());
                js.set("schema", f.schema());
                js.put("strict", f.strict());
                copyText(f.raw(), js, "description");
            }
            default -> {
                // plain text is chat's default
            }
        }
    }

    private static void copyText(JsonNode from, ObjectNode to, String name) {
        JsonNode v = from.get(name);
        if (v != null && v.isTextual()) {
            to.put(name, v.textValue());
        }
    }

    /**
     * An error of the chat path as a Responses client must read it: the parameter named as the Responses API names
     * it ({@code messages} is {@code input}, {@code response_format.json_schema.schema} is
     * {@code text.format.schema}, {@code tools[i].function.parameters} is {@code tools[i].parameters},
     * {@code max_completion_tokens} is {@code max_output_tokens}), and the message saying so too.
     */
    static ApiError responsesError(ApiError e) {
        String param = param(e.param());
        if (param == null || param.equals(e.param())) {
            return e;
        }
        String message = e.message().replace("response_format.json_schema", "text.format")
                .replace("response_format", "text.format")
                .replace("max_completion_tokens", "max_output_tokens");
        if (e.param().startsWith("messages")) {
            message = message.replace("messages", "input");
        }
        return new ApiError(e.status(), message, e.type(), param, e.code(), e.headers());
    }

    /** A chat request's parameter path as the Responses request's; null stays null. */
    static String param(String chat) {
        if (chat == null) {
            return null;
        }
        if (chat.equals("messages") || chat.startsWith("messages[") || chat.startsWith("messages.")) {
            return "input";
        }
        if (chat.startsWith("response_format.json_schema.")) {
            return "text.format." + chat.substring("response_format.json_schema.".length());
        }
        if (chat.startsWith("response_format")) {
            return "text.format" + chat.substring("response_format".length());
        }
        if (chat.equals("max_completion_tokens") || chat.equals("max_tokens")) {
            return "max_output_tokens";
        }
        if (chat.equals("reasoning_effort")) {
            return "reasoning.effort";
        }
        Matcher m = TOOL_FUNCTION.matcher(chat);
        if (m.matches()) {
            return "tools[" + m.group(1) + "]" + (m.group(2) == null ? "" : m.group(2));
        }
        return chat;
    }
}
