package io.fairlane.gateway.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.ApiException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One message of a chat request, validated.
 *
 * @param role       {@code system}, {@code developer}, {@code user}, {@code assistant}, {@code tool}, {@code function}
 * @param content    a string, an array of content parts, or null (assistant messages with tool calls)
 * @param name       optional participant name
 * @param toolCalls  tool calls of an assistant message
 * @param toolCallId the call a {@code tool} message answers
 * @param raw        the message as sent (forwarded upstream unchanged)
 */
public record ChatMessage(String role, JsonNode content, String name, List<ToolCall> toolCalls, String toolCallId,
                          ObjectNode raw) {

    static final List<String> ROLES = List.of("system", "assistant", "user", "function", "tool", "developer");
    private static final List<String> USER_PARTS = List.of("text", "image_url", "input_audio", "file");
    private static final List<String> ASSISTANT_PARTS = List.of("text", "refusal");

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        toolCalls = List.copyOf(toolCalls);
    }

    /**
     * An assistant message's tool call.
     *
     * @param id        the call id
     * @param name      the function name
     * @param arguments the arguments as a JSON string
     */
    public record ToolCall(String id, String name, String arguments) {
    }

    /** The text of the content: the string itself, or the text parts joined; empty for null content. */
    public String text() {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.textValue();
        }
        StringBuilder sb = new StringBuilder();
        for (JsonNode part : content) {
            JsonNode t = part.get("text");
            if (t != null && t.isTextual()) {
                sb.append(t.textValue());
            } else if (part.get("refusal") != null && part.get("refusal").isTextual()) {
                sb.append(part.get("refusal").textValue());
            }
        }
        return sb.toString();
    }

    /** Whether any content part is not text (images, audio, files). */
    public boolean hasNonTextParts() {
        if (content == null || !content.isArray()) {
            return false;
        }
        for (JsonNode part : content) {
            String type = part.path("type").asText();
            if (!type.equals("text") && !type.equals("refusal")) {
                return true;
            }
        }
        return false;
    }

    static ChatMessage read(JsonNode node, String path) {
        Fields f = Fields.of(node, path);
        String role = f.requiredString("role");
        if (!ROLES.contains(role)) {
            throw Fields.invalidValue(f.path("role"), role, ROLES);
        }
        String name = f.string("name");
        JsonNode content = f.get("content");
        List<ToolCall> calls = List.of();
        String toolCallId = null;
        switch (role) {
            case "system", "developer" -> content(f, true, List.of("text"));
            case "user" -> content(f, true, USER_PARTS);
            case "assistant" -> {
                content(f, false, ASSISTANT_PARTS);
                f.string("refusal");
                calls = toolCalls(f);
                if (f.get("function_call") != null) {
                    Fields fc = f.child("function_call");
                    fc.requiredString("name");
                    fc.requiredString("arguments");
                }
                if (content == null && calls.isEmpty() && f.get("function_call") == null && f.get("refusal") == null
                        && f.get("audio") == null) {
                    throw Fields.missing(f.path("content"));
                }
            }
            case "tool" -> {
                content(f, true, List.of("text"));
                toolCallId = f.requiredString("tool_call_id");
            }
            default -> { // function (deprecated)
                if (name == null) {
                    throw Fields.missing(f.path("name"));
                }
                if (content != null && !content.isTextual()) {
                    throw Fields.invalidType(f.path("content"), "a string", content);
                }
            }
        }
        return new ChatMessage(role, content, name, calls, toolCallId, f.node());
    }

    private static void content(Fields f, boolean required, List<String> partTypes) {
        JsonNode c = f.get("content");
        String p = f.path("content");
        if (c == null) {
            if (required) {
                throw Fields.missing(p);
            }
            return;
        }
        if (c.isTextual()) {
            return;
        }
        if (!c.isArray()) {
            throw ApiException.invalidRequest("Invalid type for '" + p + "': expected one of a string or array of "
                    + "objects, but got " + Fields.typeName(c) + " instead.", p, "invalid_type");
        }
        if (required) {
            Fields.arrayValue(c, p, 1, Integer.MAX_VALUE);
        }
        for (int i = 0; i < c.size(); i++) {
            Fields part = Fields.of(c.get(i), p + "[" + i + "]");
            String type = part.requiredString("type");
            if (!partTypes.contains(type)) {
                throw Fields.invalidValue(part.path("type"), type, partTypes);
            }
            switch (type) {
                case "text" -> part.requiredString("text");
                case "refusal" -> part.requiredString("refusal");
                case "image_url" -> {
                    Fields img = part.child("image_url");
                    if (img == null) {
                        throw Fields.missing(part.path("image_url"));
                    }
                    img.requiredString("url");
                    img.enumString("detail", List.of("auto", "low", "high"));
                }
                case "input_audio" -> {
                    Fields a = part.child("input_audio");
                    if (a == null) {
                        throw Fields.missing(part.path("input_audio"));
                    }
                    a.requiredString("data");
                    a.requiredString("format");
                }
                default -> {
                    if (part.child("file") == null) {
                        throw Fields.missing(part.path("file"));
                    }
                }
            }
        }
    }

    private static List<ToolCall> toolCalls(Fields f) {
        JsonNode arr = f.array("tool_calls", 0, Integer.MAX_VALUE);
        if (arr == null) {
            return List.of();
        }
        List<ToolCall> out = new ArrayList<>(arr.size());
        for (int i = 0; i < arr.size(); i++) {
            Fields c = Fields.of(arr.get(i), f.path("tool_calls") + "[" + i + "]");
            String id = c.requiredString("id");
            String type = c.requiredString("type");
            if (type.equals("custom")) {
                Fields custom = c.child("custom");
                if (custom == null) {
                    throw Fields.missing(c.path("custom"));
                }
                out.add(new ToolCall(id, custom.requiredString("name"), custom.requiredString("input")));
                continue;
            }
            if (!type.equals("function")) {
                throw Fields.invalidValue(c.path("type"), type, List.of("function", "custom"));
            }
            Fields fn = c.child("function");
            if (fn == null) {
                throw Fields.missing(c.path("function"));
            }
            out.add(new ToolCall(id, fn.requiredString("name"), fn.requiredString("arguments")));
        }
        return out;
    }

    @Override
    public String toString() {
        return "ChatMessage[" + role + ", " + text().length() + " chars, " + toolCalls.size() + " tool calls]";
    }
}
