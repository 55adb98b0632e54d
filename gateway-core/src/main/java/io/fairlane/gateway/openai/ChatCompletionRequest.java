package io.fairlane.gateway.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.ApiException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;

/**
 * {@code POST /v1/chat/completions}, validated against OpenAI's {@code CreateChatCompletionRequest}.
 * Fields the gateway acts on are typed; the rest are checked for type and kept in {@link #raw}, which is
 * what an upstream receives (so fields Fairlane does not know are never dropped).
 *
 * @param model             requested model id
 * @param messages          the conversation (at least one)
 * @param stream            whether to answer with server-sent events
 * @param includeUsage      {@code stream_options.include_usage}
 * @param n                 choices to generate (1..128)
 * @param sampling          sampling and stopping parameters
 * @param logprobs          return log probabilities of output tokens
 * @param topLogprobs       alternatives per position (0..20; needs {@code logprobs})
 * @param tools             tools the model may call
 * @param toolChoice        {@code none}, {@code auto}, {@code required}, or a function name; null if unset
 * @param parallelToolCalls whether several calls may come in one turn
 * @param responseFormat    {@code text}, {@code json_object} or {@code json_schema}; null if unset
 * @param serviceTier       the tier asked for ({@code auto} when unset)
 * @param user              end-user id
 * @param metadata          string metadata, kept for forwarding
 * @param templateArguments extension: extra chat-template variables ({@code chat_template_kwargs})
 * @param raw               the request body as sent
 */
public record ChatCompletionRequest(
        String model,
        List<ChatMessage> messages,
        boolean stream,
        boolean includeUsage,
        int n,
        SamplingOptions sampling,
        boolean logprobs,
        int topLogprobs,
        List<ToolDefinition> tools,
        String toolChoice,
        boolean parallelToolCalls,
        String responseFormat,
        String serviceTier,
        String user,
        Map<String, String> metadata,
        Map<String, Object> templateArguments,
        ObjectNode raw) {

    private static final List<String> TIERS = List.of("auto", "default", "flex", "scale", "priority", "fast");
    private static final List<String> TOOL_CHOICE_MODES = List.of("none", "auto", "required");
    private static final java.util.regex.Pattern SCHEMA_NAME = java.util.regex.Pattern.compile("[a-zA-Z0-9_-]{1,64}");

    public ChatCompletionRequest {
        Objects.requireNonNull(model, "model");
        messages = List.copyOf(messages);
        tools = List.copyOf(tools);
        metadata = Map.copyOf(metadata);
        templateArguments = Map.copyOf(templateArguments);
    }

    /** Validates a parsed body. */
    public static ChatCompletionRequest parse(ObjectNode body) {
        Fields f = new Fields(body, "");
        String model = f.requiredString("model");
        JsonNode msgs = f.required("messages");
        Fields.arrayValue(msgs, "messages", 1, Integer.MAX_VALUE);
        List<ChatMessage> messages = new ArrayList<>(msgs.size());
        for (int i = 0; i < msgs.size(); i++) {
            messages.add(ChatMessage.read(msgs.get(i), "messages[" + i + "]"));
        }
        boolean stream = f.bool("stream", false);
        boolean includeUsage = streamOptions(f, stream);
        Long nValue = f.integer("n", 1, 128);
        int n = nValue == null ? 1 : nValue.intValue();
        Long maxCompletion = f.integer("max_completion_tokens", 1, Integer.MAX_VALUE);
        Long maxTokens = f.integer("max_tokens", 1, Integer.MAX_VALUE);
        OptionalInt max = maxCompletion != null ? OptionalInt.of(maxCompletion.intValue())
                : maxTokens != null ? OptionalInt.of(maxTokens.intValue()) : OptionalInt.empty();
        SamplingOptions sampling = SamplingOptions.read(f, 4, max, 2);
        boolean logprobs = f.bool("logprobs", false);
        Long top = f.integer("top_logprobs", 0, 20);
        if (top != null && top > 0 && !logprobs) {
            throw ApiException.invalidRequest("Invalid value for 'top_logprobs': 'logprobs' must be set to true when "
                    + "'top_logprobs' is used.", "top_logprobs", "invalid_value");
        }
        List<ToolDefinition> tools = tools(f);
        String toolChoice = toolChoice(f, tools);
        legacyFunctions(f);
        boolean parallel = f.bool("parallel_tool_calls", true);
        String responseFormat = responseFormat(f);
        String tier = f.enumString("service_tier", TIERS);
        String user = f.string("user");
        Map<String, String> metadata = metadata(f);
        f.bool("store");
        f.enumString("reasoning_effort", List.of("none", "minimal", "low", "medium", "high", "xhigh"));
        f.enumString("verbosity", List.of("low", "medium", "high"));
        f.string("prompt_cache_key");
        f.string("safety_identifier");
        f.enumString("prompt_cache_retention", List.of("in-memory", "24h", "in_memory"));
        JsonNode modalities = f.array("modalities", 0, 2);
        if (modalities != null) {
            for (int i = 0; i < modalities.size(); i++) {
                if (!modalities.get(i).isTextual()) {
                    throw Fields.invalidType("modalities[" + i + "]", "a string", modalities.get(i));
                }
            }
        }
        f.object("audio");
        f.object("prediction");
        f.object("web_search_options");
        ObjectNode kwargs = f.object("chat_template_kwargs");
        @SuppressWarnings("unchecked")
        Map<String, Object> templateArguments = kwargs == null ? Map.of()
                : io.fairlane.gateway.http.Json.MAPPER.convertValue(kwargs, Map.class);
        return new ChatCompletionRequest(model, messages, stream, includeUsage, n, sampling, logprobs,
                top == null ? 0 : top.intValue(), tools, toolChoice, parallel, responseFormat,
                tier == null ? "auto" : tier, user, metadata, templateArguments, body);
    }

    static boolean streamOptions(Fields f, boolean stream) {
        Fields so = f.child("stream_options");
        if (so == null) {
            return false;
        }
        if (!stream) {
            throw ApiException.invalidRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                    "stream_options", "invalid_value");
        }
        so.bool("include_obfuscation");
        return so.bool("include_usage", false);
    }

    private static List<ToolDefinition> tools(Fields f) {
        JsonNode arr = f.array("tools", 0, 512);
        if (arr == null) {
            return List.of();
        }
        List<ToolDefinition> out = new ArrayList<>(arr.size());
        for (int i = 0; i < arr.size(); i++) {
            out.add(ToolDefinition.read(arr.get(i), "tools[" + i + "]"));
        }
        return out;
    }

    private static String toolChoice(Fields f, List<ToolDefinition> tools) {
        JsonNode tc = f.get("tool_choice");
        if (tc == null) {
            return null;
        }
        if (tools.isEmpty()) {
            throw ApiException.invalidRequest("Invalid value for 'tool_choice': 'tool_choice' is only allowed when "
                    + "'tools' are specified.", "tool_choice", "invalid_value");
        }
        if (tc.isTextual()) {
            if (!TOOL_CHOICE_MODES.contains(tc.textValue())) {
                throw Fields.invalidValue("tool_choice", tc.textValue(), TOOL_CHOICE_MODES);
            }
            return tc.textValue();
        }
        Fields c = Fields.of(tc, "tool_choice");
        String type = c.requiredString("type");
        switch (type) {
            case "function", "custom" -> {
                Fields fn = c.child(type);
                if (fn == null) {
                    throw Fields.missing("tool_choice." + type);
                }
                String name = fn.requiredString("name");
                if (tools.stream().noneMatch(t -> t.name().equals(name))) {
                    throw ApiException.invalidRequest("Invalid value for 'tool_choice': no tool named '" + name
                            + "' is defined in 'tools'.", "tool_choice", "invalid_value");
                }
                return "function:" + name;
            }
            case "allowed_tools" -> {
                Fields at = c.child("allowed_tools");
                if (at == null) {
                    throw Fields.missing("tool_choice.allowed_tools");
                }
                String mode = at.enumString("mode", List.of("auto", "required"));
                at.array("tools", 1, 512);
                return mode == null ? "auto" : mode;
            }
            default -> throw Fields.invalidValue("tool_choice.type", type, List.of("function", "custom", "allowed_tools"));
        }
    }

    private static void legacyFunctions(Fields f) {
        JsonNode fns = f.array("functions", 1, 128);
        if (fns != null) {
            for (int i = 0; i < fns.size(); i++) {
                Fields.of(fns.get(i), "functions[" + i + "]").requiredString("name");
            }
        }
        JsonNode fc = f.get("function_call");
        if (fc != null && !fc.isTextual()) {
            Fields.of(fc, "function_call").requiredString("name");
        }
    }

    private static String responseFormat(Fields f) {
        Fields rf = f.child("response_format");
        if (rf == null) {
            return null;
        }
        String type = rf.requiredString("type");
        switch (type) {
            case "text", "json_object" -> {
            }
            case "json_schema" -> {
                Fields js = rf.child("json_schema");
                if (js == null) {
                    throw Fields.missing("response_format.json_schema");
                }
                String name = js.requiredString("name");
                if (!SCHEMA_NAME.matcher(name).matches()) {
                    throw ApiException.invalidRequest("Invalid 'response_format.json_schema.name': string does not "
                            + "match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$' with at "
                            + "most 64 characters.", "response_format.json_schema.name", "invalid_value");
                }
                js.object("schema");
                js.bool("strict");
                js.string("description");
            }
            default -> throw Fields.invalidValue("response_format.type", type, List.of("text", "json_object", "json_schema"));
        }
        return type;
    }

    static Map<String, String> metadata(Fields f) {
        ObjectNode m = f.object("metadata");
        if (m == null) {
            return Map.of();
        }
        if (m.size() > 16) {
            throw ApiException.invalidRequest("Invalid 'metadata': too many keys. Expected at most 16 keys, but got "
                    + m.size() + " instead.", "metadata", "invalid_value");
        }
        Map<String, String> out = new java.util.LinkedHashMap<>();
        var it = m.fields();
        while (it.hasNext()) {
            var e = it.next();
            if (!e.getValue().isTextual()) {
                throw Fields.invalidType("metadata." + e.getKey(), "a string", e.getValue());
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return out;
    }

    /** Tool names defined in {@link #tools}, for the tool-call parser. */
    public Set<String> toolNames() {
        Set<String> s = new HashSet<>();
        for (ToolDefinition t : tools) {
            s.add(t.name());
        }
        return s;
    }

    /** Whether the model may answer with tool calls. */
    public boolean toolsEnabled() {
        return !tools.isEmpty() && !"none".equals(toolChoice);
    }

    @Override
    public String toString() {
        return "ChatCompletionRequest[model=" + model + ", " + messages.size() + " messages, " + tools.size()
                + " tools, n=" + n + ", stream=" + stream + "]";
    }
}
