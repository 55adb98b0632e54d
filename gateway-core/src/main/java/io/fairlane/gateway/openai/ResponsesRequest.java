package io.fairlane.gateway.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.http.RequestIds;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code POST /v1/responses}, validated against OpenAI's {@code CreateResponse}. The input is normalised into the
 * items a stored response lists ({@code GET /v1/responses/{id}/input_items}): a string becomes one user message,
 * every message gets typed content parts, every item an id. What the gateway cannot do is refused with a 400 that
 * names the parameter (hosted tools, {@code background}, {@code conversation}, prompt templates, item
 * references), never silently ignored.
 *
 * @param model              requested model id
 * @param input              the input items, normalised, each with an id
 * @param instructions       a system message put first, or null; not carried over by {@code previous_response_id}
 * @param stream             whether to answer with server-sent events
 * @param maxOutputTokens    the output limit, reasoning included
 * @param temperature        0..2
 * @param topP               0..1
 * @param parallelToolCalls  whether several calls may come in one turn
 * @param toolChoice         {@code none}, {@code auto}, {@code required}, {@code function:NAME}; null when unset
 * @param tools              the function tools (flat, as the Responses API declares them)
 * @param textFormat         {@code text.format}
 * @param metadata           string metadata, echoed and stored
 * @param store              whether to keep the response for {@code GET} and {@code previous_response_id}
 * @param user               end-user id
 * @param serviceTier        the tier asked for ({@code auto} when unset)
 * @param previousResponseId the stored response this one continues, or null
 * @param truncation         {@code disabled} (a too-long input is a 400) or {@code auto} (oldest items dropped)
 * @param reasoningEffort    {@code reasoning.effort}, or null
 * @param reasoningSummary   {@code reasoning.summary}, or null (accepted; reasoning items carry no summary)
 * @param raw                the request body as sent
 */
public record ResponsesRequest(
        String model,
        List<ObjectNode> input,
        String instructions,
        boolean stream,
        OptionalInt maxOutputTokens,
        OptionalDouble temperature,
        OptionalDouble topP,
        boolean parallelToolCalls,
        String toolChoice,
        List<FunctionTool> tools,
        TextFormat textFormat,
        Map<String, String> metadata,
        boolean store,
        String user,
        String serviceTier,
        String previousResponseId,
        String truncation,
        String reasoningEffort,
        String reasoningSummary,
        ObjectNode raw) {

    private static final List<String> TIERS = List.of("auto", "default", "flex", "scale", "priority", "fast");
    private static final List<String> ROLES = List.of("user", "system", "developer", "assistant");
    private static final List<String> INPUT_PARTS = List.of("input_text", "input_image", "input_file");
    private static final List<String> ASSISTANT_PARTS = List.of("output_text", "refusal");
    private static final Set<String> HOSTED_TOOLS = Set.of("file_search", "web_search", "web_search_preview",
            "web_search_preview_2025_03_11", "web_search_2025_08_26", "computer_use_preview", "computer_use",
            "code_interpreter", "image_generation", "mcp", "local_shell", "shell", "apply_patch", "custom",
            "tool_search", "namespace");
    /** Item types that belong to hosted tools or to state the gateway does not keep. */
    private static final Set<String> UNSUPPORTED_ITEMS = Set.of("item_reference", "file_search_call",
            "computer_call", "computer_call_output", "web_search_call", "image_generation_call",
            "code_interpreter_call", "local_shell_call", "local_shell_call_output", "mcp_list_tools",
            "mcp_approval_request", "mcp_approval_response", "mcp_call", "custom_tool_call",
            "custom_tool_call_output", "shell_call", "shell_call_output", "apply_patch_call",
            "apply_patch_call_output", "compaction", "tool_search_call", "tool_search_output");
    private static final List<String> KNOWN_ITEMS = List.of("message", "function_call", "function_call_output",
            "reasoning");
    private static final List<String> INCLUDABLE = List.of("reasoning.encrypted_content",
            "message.output_text.logprobs", "message.input_image.image_url", "file_search_call.results",
            "web_search_call.results", "web_search_call.action.sources", "computer_call_output.output.image_url",
            "code_interpreter_call.outputs");
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");

    /**
     * A function tool.
     *
     * @param name        the function's name
     * @param description what it does, or null
     * @param parameters  the JSON Schema of its arguments, or null
     * @param strict      whether its arguments must validate against {@code parameters} (the Responses API's
     *                    default is true)
     */
    public record FunctionTool(String name, String description, ObjectNode parameters, boolean strict) {
        public FunctionTool {
            Objects.requireNonNull(name, "name");
        }
    }

    /**
     * {@code text.format}.
     *
     * @param type   {@code text}, {@code json_object} or {@code json_schema}
     * @param name   the schema's name (json_schema only)
     * @param schema the schema (json_schema only)
     * @param strict whether OpenAI's strict-mode rules apply (json_schema only)
     * @param raw    the format as sent, echoed in the response
     */
    public record TextFormat(String type, String name, ObjectNode schema, boolean strict, ObjectNode raw) {

        public static final TextFormat TEXT = new TextFormat("text", null, null, false,
                Json.MAPPER.createObjectNode().put("type", "text"));

        public TextFormat {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(raw, "raw");
        }
    }

    public ResponsesRequest {
        Objects.requireNonNull(model, "model");
        input = List.copyOf(input);
        tools = List.copyOf(tools);
        metadata = Map.copyOf(metadata);
        Objects.requireNonNull(textFormat, "textFormat");
        Objects.requireNonNull(serviceTier, "serviceTier");
        Objects.requireNonNull(truncation, "truncation");
    }

    /** Validates a parsed body. */
    public static ResponsesRequest parse(ObjectNode body) {
        Fields f = new Fields(body, "");
        String model = f.requiredString("model");
        refuseUnsupported(f);
        List<ObjectNode> input = input(f);
        String instructions = instructions(f);
        String previous = f.string("previous_response_id");
        if (input.isEmpty() && previous == null) {
            throw Fields.missing("input");
        }
        boolean stream = f.bool("stream", false);
        Fields so = f.child("stream_options");
        if (so != null) {
            if (!stream) {
                throw ApiException.invalidRequest("The 'stream_options' parameter is only allowed when 'stream' is "
                        + "enabled.", "stream_options", "invalid_value");
            }
            so.bool("include_obfuscation");
        }
        Long max = f.integer("max_output_tokens", 16, Integer.MAX_VALUE);
        Double temperature = f.number("temperature", 0, 2);
        Double topP = f.number("top_p", 0, 1);
        boolean parallel = f.bool("parallel_tool_calls", true);
        List<FunctionTool> tools = tools(f);
        String toolChoice = toolChoice(f, tools);
        TextFormat format = textFormat(f);
        Map<String, String> metadata = ChatCompletionRequest.metadata(f);
        boolean store = f.bool("store", true);
        String user = f.string("user");
        String tier = f.enumString("service_tier", TIERS);
        String truncation = f.enumString("truncation", List.of("auto", "disabled"));
        Fields reasoning = f.child("reasoning");
        String effort = null;
        String summary = null;
        if (reasoning != null) {
            effort = reasoning.enumString("effort", List.of("none", "minimal", "low", "medium", "high", "xhigh"));
            summary = reasoning.enumString("summary", List.of("auto", "concise", "detailed"));
            reasoning.enumString("generate_summary", List.of("auto", "concise", "detailed"));
        }
        include(f);
        f.string("prompt_cache_key");
        f.string("safety_identifier");
        f.enumString("prompt_cache_retention", List.of("in-memory", "in_memory", "24h"));
        return new ResponsesRequest(model, input, instructions, stream,
                max == null ? OptionalInt.empty() : OptionalInt.of(max.intValue()),
                temperature == null ? OptionalDouble.empty() : OptionalDouble.of(temperature),
                topP == null ? OptionalDouble.empty() : OptionalDouble.of(topP), parallel, toolChoice, tools, format,
                metadata, store, user, tier == null ? "auto" : tier, previous,
                truncation == null ? "disabled" : truncation, effort, summary, body);
    }

    /** What the gateway has no way to honour, each refused naming the parameter. */
    private static void refuseUnsupported(Fields f) {
        if (f.bool("background", false)) {
            throw ApiException.unsupported("background", "is not supported: responses run while the request is open "
                    + "(stream them with 'stream': true).");
        }
        if (f.has("conversation")) {
            throw ApiException.unsupported("conversation", "is not supported; continue a conversation with "
                    + "'previous_response_id'.");
        }
        if (f.has("prompt")) {
            throw ApiException.unsupported("prompt", "(stored prompt templates) is not supported; send 'input' and "
                    + "'instructions'.");
        }
        if (f.has("top_logprobs")) {
            throw ApiException.unsupported("top_logprobs", "is not supported by /v1/responses here; use "
                    + "/v1/chat/completions for log probabilities.");
        }
        if (f.has("max_tool_calls")) {
            throw ApiException.unsupported("max_tool_calls", "applies to hosted tools, which are not supported.");
        }
        if (f.has("context_management")) {
            throw ApiException.unsupported("context_management", "is not supported.");
        }
    }

    private static void include(Fields f) {
        JsonNode include = f.array("include", 0, 64);
        if (include == null) {
            return;
        }
        for (int i = 0; i < include.size(); i++) {
            JsonNode v = include.get(i);
            if (!v.isTextual()) {
                throw Fields.invalidType("include[" + i + "]", "a string", v);
            }
            if (!INCLUDABLE.contains(v.textValue())) {
                throw Fields.invalidValue("include[" + i + "]", v.textValue(), INCLUDABLE);
            }
            if (v.textValue().equals("message.output_text.logprobs")) {
                throw ApiException.unsupported("include[" + i + "]", "('message.output_text.logprobs') is not "
                        + "supported by /v1/responses here; use /v1/chat/completions for log probabilities.");
            }
        }
    }

    private static String instructions(Fields f) {
        JsonNode v = f.get("instructions");
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw Fields.invalidType("instructions", "a string", v);
        }
        return v.textValue();
    }

    // ---------------------------------------------------------------- input

    private static List<ObjectNode> input(Fields f) {
        JsonNode in = f.get("input");
        if (in == null) {
            return List.of();
        }
        if (in.isTextual()) {
            return List.of(message("user", List.of(part("input_text", in.textValue())), null));
        }
        if (!in.isArray()) {
            throw ApiException.invalidRequest("Invalid type for 'input': expected one of a string or array of input "
                    + "items, but got " + Fields.typeName(in) + " instead.", "input", "invalid_type");
        }
        List<ObjectNode> out = new ArrayList<>(in.size());
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < in.size(); i++) {
            ObjectNode item = item(in.get(i), "input[" + i + "]");
            if (!ids.add(item.get("id").textValue())) {
                item.put("id", RequestIds.generate(idPrefix(item.get("type").textValue())));
            }
            out.add(item);
        }
        return out;
    }

    /** One input item, normalised, with an id. */
    static ObjectNode item(JsonNode node, String path) {
        Fields f = Fields.of(node, path);
        String type = f.string("type");
        if (type == null) {
            if (!f.has("role")) {
                throw Fields.missing(f.path("type"));
            }
            type = "message";
        }
        if (UNSUPPORTED_ITEMS.contains(type)) {
            throw ApiException.unsupported(f.path("type"), "('" + type + "') is not supported: "
                    + (type.equals("item_reference") ? "items are not referenced by id here; send the item itself or "
                    + "continue with 'previous_response_id'." : "it belongs to a hosted tool, which is not supported."));
        }
        if (!KNOWN_ITEMS.contains(type)) {
            throw Fields.invalidValue(f.path("type"), type, KNOWN_ITEMS);
        }
        String id = f.string("id");
        return switch (type) {
            case "message" -> inputMessage(f, id);
            case "function_call" -> {
                ObjectNode o = Json.MAPPER.createObjectNode();
                o.put("id", id != null ? id : RequestIds.generate("fc_"));
                o.put("type", "function_call");
                o.put("call_id", f.requiredString("call_id"));
                o.put("name", f.requiredString("name"));
                o.put("arguments", f.requiredString("arguments"));
                o.put("status", "completed");
                yield o;
            }
            case "function_call_output" -> {
                ObjectNode o = Json.MAPPER.createObjectNode();
                o.put("id", id != null ? id : RequestIds.generate("fco_"));
                o.put("type", "function_call_output");
                o.put("call_id", f.requiredString("call_id"));
                o.put("output", callOutput(f));
                o.put("status", "completed");
                yield o;
            }
            default -> { // reasoning: kept as given for the listing; a template sees none of it
                ObjectNode o = ((ObjectNode) node).deepCopy();
                o.put("id", id != null ? id : RequestIds.generate("rs_"));
                if (!o.has("summary")) {
                    o.putArray("summary");
                }
                yield o;
            }
        };
    }

    private static ObjectNode inputMessage(Fields f, String id) {
        String role = f.requiredString("role");
        if (!ROLES.contains(role)) {
            throw Fields.invalidValue(f.path("role"), role, ROLES);
        }
        boolean assistant = role.equals("assistant");
        JsonNode content = f.required("content");
        String path = f.path("content");
        List<ObjectNode> parts = new ArrayList<>();
        if (content.isTextual()) {
            parts.add(part(assistant ? "output_text" : "input_text", content.textValue()));
        } else if (content.isArray()) {
            for (int i = 0; i < content.size(); i++) {
                parts.add(contentPart(content.get(i), path + "[" + i + "]", assistant));
            }
        } else {
            throw ApiException.invalidRequest("Invalid type for '" + path + "': expected one of a string or array of "
                    + "content parts, but got " + Fields.typeName(content) + " instead.", path, "invalid_type");
        }
        f.enumString("status", List.of("in_progress", "completed", "incomplete"));
        return message(role, parts, id);
    }

    private static ObjectNode contentPart(JsonNode node, String path, boolean assistant) {
        Fields p = Fields.of(node, path);
        String type = p.requiredString("type");
        List<String> allowed = assistant ? ASSISTANT_PARTS : INPUT_PARTS;
        if (!allowed.contains(type)) {
            // Clients send back assistant text as input_text and vice versa; both are text.
            if (type.equals("input_text") || type.equals("output_text")) {
                return part(assistant ? "output_text" : "input_text", p.requiredString("text"));
            }
            throw Fields.invalidValue(p.path("type"), type, allowed);
        }
        return switch (type) {
            case "input_text", "output_text" -> part(type, p.requiredString("text"));
            case "refusal" -> {
                ObjectNode o = Json.MAPPER.createObjectNode();
                o.put("type", "refusal");
                o.put("refusal", p.requiredString("refusal"));
                yield o;
            }
            case "input_image" -> {
                if (!p.has("image_url") && !p.has("file_id")) {
                    throw Fields.missing(p.path("image_url"));
                }
                p.string("image_url");
                p.string("file_id");
                p.enumString("detail", List.of("auto", "low", "high"));
                yield ((ObjectNode) node).deepCopy();
            }
            default -> { // input_file
                p.string("file_data");
                p.string("file_id");
                p.string("file_url");
                p.string("filename");
                yield ((ObjectNode) node).deepCopy();
            }
        };
    }

    private static String callOutput(Fields f) {
        JsonNode output = f.required("output");
        if (output.isTextual()) {
            return output.textValue();
        }
        if (!output.isArray()) {
            throw ApiException.invalidRequest("Invalid type for '" + f.path("output") + "': expected one of a string "
                    + "or array of content parts, but got " + Fields.typeName(output) + " instead.", f.path("output"),
                    "invalid_type");
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < output.size(); i++) {
            Fields part = Fields.of(output.get(i), f.path("output") + "[" + i + "]");
            String type = part.requiredString("type");
            if (!type.equals("input_text")) {
                throw ApiException.unsupported(part.path("type"), "('" + type + "') is not supported in a function "
                        + "call's output; send its text.");
            }
            text.append(part.requiredString("text"));
        }
        return text.toString();
    }

    static ObjectNode message(String role, List<ObjectNode> parts, String id) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", id != null ? id : RequestIds.generate("msg_"));
        o.put("type", "message");
        o.put("role", role);
        ArrayNode content = o.putArray("content");
        parts.forEach(content::add);
        o.put("status", "completed");
        return o;
    }

    private static ObjectNode part(String type, String text) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("type", type);
        o.put("text", text);
        if (type.equals("output_text")) {
            o.putArray("annotations");
        }
        return o;
    }

    private static String idPrefix(String type) {
        return switch (type) {
            case "function_call" -> "fc_";
            case "function_call_output" -> "fco_";
            case "reasoning" -> "rs_";
            default -> "msg_";
        };
    }

    // ---------------------------------------------------------------- tools

    private static List<FunctionTool> tools(Fields f) {
        JsonNode arr = f.array("tools", 0, 512);
        if (arr == null) {
            return List.of();
        }
        List<FunctionTool> out = new ArrayList<>(arr.size());
        Set<String> names = new HashSet<>();
        for (int i = 0; i < arr.size(); i++) {
            Fields t = Fields.of(arr.get(i), "tools[" + i + "]");
            String type = t.requiredString("type");
            if (HOSTED_TOOLS.contains(type)) {
                throw ApiException.unsupported(t.path("type"), "('" + type + "') is not supported: only function "
                        + "tools are; hosted tools need OpenAI's own servers.");
            }
            if (!type.equals("function")) {
                throw Fields.invalidValue(t.path("type"), type, List.of("function"));
            }
            String name = t.requiredString("name");
            if (!NAME.matcher(name).matches()) {
                throw ApiException.invalidRequest("Invalid '" + t.path("name") + "': string does not match pattern. "
                        + "Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$' with at most 64 characters.",
                        t.path("name"), "invalid_value");
            }
            if (!names.add(name)) {
                throw ApiException.invalidRequest("Invalid 'tools': function '" + name + "' is defined twice.",
                        t.path("name"), "invalid_value");
            }
            ObjectNode parameters = t.object("parameters");
            Boolean strict = t.bool("strict");
            out.add(new FunctionTool(name, t.string("description"), parameters, strict == null || strict));
        }
        return out;
    }

    private static String toolChoice(Fields f, List<FunctionTool> tools) {
        JsonNode tc = f.get("tool_choice");
        if (tc == null) {
            return null;
        }
        if (tc.isTextual()) {
            List<String> modes = List.of("none", "auto", "required");
            if (!modes.contains(tc.textValue())) {
                throw Fields.invalidValue("tool_choice", tc.textValue(), modes);
            }
            if (tc.textValue().equals("required") && tools.isEmpty()) {
                throw ApiException.invalidRequest("Invalid value for 'tool_choice': 'required' needs at least one "
                        + "tool in 'tools'.", "tool_choice", "invalid_value");
            }
            return tc.textValue();
        }
        Fields c = Fields.of(tc, "tool_choice");
        String type = c.requiredString("type");
        switch (type) {
            case "function" -> {
                String name = c.requiredString("name");
                if (tools.stream().noneMatch(t -> t.name().equals(name))) {
                    throw ApiException.invalidRequest("Invalid value for 'tool_choice': no function named '" + name
                            + "' is defined in 'tools'.", "tool_choice.name", "invalid_value");
                }
                return "function:" + name;
            }
            case "allowed_tools" -> {
                String mode = c.enumString("mode", List.of("auto", "required"));
                c.array("tools", 1, 512);
                return mode == null ? "auto" : mode;
            }
            default -> {
                if (HOSTED_TOOLS.contains(type) || type.startsWith("web_search") || type.equals("mcp")) {
                    throw ApiException.unsupported("tool_choice.type", "('" + type + "') names a hosted tool, which "
                            + "is not supported.");
                }
                throw Fields.invalidValue("tool_choice.type", type, List.of("function", "allowed_tools"));
            }
        }
    }

    private static TextFormat textFormat(Fields f) {
        Fields text = f.child("text");
        if (text == null) {
            return TextFormat.TEXT;
        }
        text.enumString("verbosity", List.of("low", "medium", "high"));
        Fields format = text.child("format");
        if (format == null) {
            return TextFormat.TEXT;
        }
        String type = format.requiredString("type");
        return switch (type) {
            case "text", "json_object" -> new TextFormat(type, null, null, false, format.node());
            case "json_schema" -> {
                String name = format.requiredString("name");
                if (!NAME.matcher(name).matches()) {
                    throw ApiException.invalidRequest("Invalid 'text.format.name': string does not match pattern. "
                            + "Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$' with at most 64 "
                            + "characters.", "text.format.name", "invalid_value");
                }
                ObjectNode schema = format.object("schema");
                if (schema == null) {
                    throw Fields.missing("text.format.schema");
                }
                format.string("description");
                yield new TextFormat(type, name, schema, format.bool("strict", false), format.node());
            }
            default -> throw Fields.invalidValue("text.format.type", type, List.of("text", "json_object",
                    "json_schema"));
        };
    }

    /** Whether any input message carries images or files (which local models cannot read). */
    public int firstNonTextInput() {
        for (int i = 0; i < input.size(); i++) {
            for (JsonNode part : input.get(i).path("content")) {
                String type = part.path("type").asText();
                if (type.equals("input_image") || type.equals("input_file")) {
                    return i;
                }
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        return "ResponsesRequest[model=" + model + ", " + input.size() + " input items, " + tools.size() + " tools, "
                + "stream=" + stream + ", store=" + store + (previousResponseId != null ? ", continues" : "") + "]";
    }
}
