package io.fairlane.gateway.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.ApiException;
import java.util.Objects;

/**
 * {@code POST /v1/moderations}, checked against OpenAI's {@code CreateModerationRequest} before it is forwarded:
 * {@code input} a string, an array of strings, or an array of {@code text} / {@code image_url} parts; {@code model}
 * optional, {@code omni-moderation-latest} when absent (OpenAI's default).
 *
 * @param model      the model id, given or defaulted
 * @param inputChars characters of text input, for the scheduler's cost estimate
 * @param raw        the request body as sent
 */
public record ModerationRequest(String model, int inputChars, ObjectNode raw) {

    /** What OpenAI uses when a moderation request names no model. */
    public static final String DEFAULT_MODEL = "omni-moderation-latest";

    public ModerationRequest {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(raw, "raw");
    }

    public static ModerationRequest parse(ObjectNode body) {
        Fields f = new Fields(body, "");
        JsonNode input = f.required("input");
        int chars = 0;
        if (input.isTextual()) {
            chars = input.textValue().length();
        } else if (input.isArray()) {
            if (input.isEmpty()) {
                throw ApiException.invalidRequest("Invalid 'input': empty array. Expected an array with minimum length "
                        + "1, but got an empty array instead.", "input", "empty_array");
            }
            for (int i = 0; i < input.size(); i++) {
                JsonNode item = input.get(i);
                String path = "input[" + i + "]";
                if (item.isTextual()) {
                    chars += item.textValue().length();
                } else if (item.isObject()) {
                    Fields part = new Fields((ObjectNode) item, path);
                    String type = part.requiredString("type");
                    switch (type) {
                        case "text" -> chars += part.requiredString("text").length();
                        case "image_url" -> part.required("image_url");
                        default -> throw ApiException.invalidRequest("Invalid value: '" + type + "'. Supported "
                                + "values are: 'text' and 'image_url'.", path + ".type", "invalid_value");
                    }
                } else {
                    throw Fields.invalidType(path, "a string or an object", item);
                }
            }
        } else {
            throw Fields.invalidType("input", "a string or an array", input);
        }
        String model = f.string("model");
        return new ModerationRequest(model == null ? DEFAULT_MODEL : model, chars, body);
    }

    @Override
    public String toString() {
        return "ModerationRequest[model=" + model + ", " + inputChars + " chars]";
    }
}
