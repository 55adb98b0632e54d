package io.fairlane.gateway.lane.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.engine.Prompt;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.openai.ChatCompletionRequest;
import io.fairlane.gateway.openai.ChatMessage;
import io.fairlane.gateway.openai.ToolDefinition;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A chat request as the model's chat template sees it: messages and tools as plain maps. Work proportional to
 * the conversation, so it runs where the prompt is prepared (in the preparation pool for large requests).
 */
final class ChatPrompts {

    /** The template variable that switches a thinking model's thinking on or off (Qwen3's name for it). */
    static final String ENABLE_THINKING = "enable_thinking";

    private ChatPrompts() {
    }

    /** The engine's prompt for {@code request}; {@link Refusals#chat} has already refused what it cannot hold. */
    static Prompt.Chat of(ChatCompletionRequest request) {
        return of(request, Optional.empty());
    }

    /**
     * The engine's prompt for {@code request}, whose {@code reasoning_effort} (or, when it names none, the model's
     * configured {@code defaultEffort}) becomes the chat template's {@code enable_thinking} switch.
     */
    static Prompt.Chat of(ChatCompletionRequest request, Optional<String> defaultEffort) {
        List<Map<String, Object>> messages = new ArrayList<>(request.messages().size());
        for (ChatMessage m : request.messages()) {
            messages.add(templateMessage(m));
        }
        List<Map<String, Object>> tools = new ArrayList<>(request.tools().size());
        if (!"none".equals(request.toolChoice())) {
            for (ToolDefinition t : request.tools()) {
                tools.add(asMap(t.raw()));
            }
        }
        return new Prompt.Chat(messages, tools, true, templateArguments(request, defaultEffort));
    }

    /**
     * The template's variables: the client's {@code chat_template_kwargs}, plus {@code enable_thinking} (the
     * switch of Qwen3's template and others like it) from the reasoning effort asked for, unless the client set it
     * itself. Efforts {@code none} and {@code minimal} switch thinking off; any other switches it on; no effort at
     * all leaves the template's own default.
     */
    static Map<String, Object> templateArguments(ChatCompletionRequest request, Optional<String> defaultEffort) {
        Map<String, Object> args = request.templateArguments();
        if (args.containsKey(ENABLE_THINKING)) {
            return args;
        }
        JsonNode asked = request.raw().get("reasoning_effort");
        Optional<String> effort = asked != null && asked.isTextual() ? Optional.of(asked.textValue()) : defaultEffort;
        if (effort.isEmpty()) {
            return args;
        }
        Map<String, Object> out = new LinkedHashMap<>(args);
        out.put(ENABLE_THINKING, thinks(effort.get()));
        return out;
    }

    /** Whether a reasoning effort asks for thinking at all. */
    static boolean thinks(String effort) {
        return !"none".equals(effort) && !"minimal".equals(effort);
    }

    /**
     * A message as a chat template sees it: plain maps, content flattened to a string when it was a list
     * of text parts (templates of open models expect a string).
     */
    static Map<String, Object> templateMessage(ChatMessage m) {
        Map<String, Object> out = asMap(m.raw());
        if (m.content() != null && m.content().isArray()) {
            out.put("content", m.text());
        }
        if (m.toolCalls().isEmpty()) {
            return out;
        }
        // Templates render arguments as objects (Qwen, Hermes): parse the JSON strings where they are JSON.
        List<Map<String, Object>> calls = new ArrayList<>();
        for (ChatMessage.ToolCall c : m.toolCalls()) {
            Map<String, Object> fn = new LinkedHashMap<>();
            fn.put("name", c.name());
            fn.put("arguments", argumentsValue(c.arguments()));
            Map<String, Object> call = new LinkedHashMap<>();
            call.put("id", c.id());
            call.put("type", "function");
            call.put("function", fn);
            calls.add(call);
        }
        out.put("tool_calls", calls);
        return out;
    }

    private static Object argumentsValue(String arguments) {
        try {
            JsonNode n = Json.MAPPER.readTree(arguments);
            if (n != null && n.isObject()) {
                return Json.MAPPER.convertValue(n, Map.class);
            }
        } catch (IOException e) {
            // not JSON: the template gets the string
        }
        return arguments;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(JsonNode node) {
        return Json.MAPPER.convertValue(node, LinkedHashMap.class);
    }
}
