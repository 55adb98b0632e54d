package io.fairlane.gateway.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.engine.Prompt;
import io.fairlane.gateway.http.ApiException;
import java.util.List;
import java.util.Objects;

/**
 * {@code POST /v1/embeddings}, validated against OpenAI's {@code CreateEmbeddingRequest}.
 *
 * @param model      requested model id
 * @param inputs     texts or token-id arrays, one embedding each
 * @param base64     {@code encoding_format: base64}: little-endian float32, base64-encoded
 * @param dimensions truncate each vector to this many dimensions (0 = full)
 * @param user       end-user id
 * @param raw        the request body as sent
 */
public record EmbeddingsRequest(String model, List<Prompt> inputs, boolean base64, int dimensions, String user,
                                ObjectNode raw) {

    public EmbeddingsRequest {
        Objects.requireNonNull(model, "model");
        inputs = List.copyOf(inputs);
    }

    public static EmbeddingsRequest parse(ObjectNode body) {
        Fields f = new Fields(body, "");
        String model = f.requiredString("model");
        List<Prompt> inputs = CompletionRequest.prompts(f.required("input"), "input");
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i) instanceof Prompt.Text t && t.text().isEmpty()) {
                String p = inputs.size() == 1 && body.get("input").isTextual() ? "input" : "input[" + i + "]";
                throw ApiException.invalidRequest("Invalid '" + p + "': empty string. Expected a non-empty string.", p,
                        "invalid_value");
            }
        }
        String format = f.enumString("encoding_format", List.of("float", "base64"));
        Long dims = f.integer("dimensions", 1, Integer.MAX_VALUE);
        String user = f.string("user");
        return new EmbeddingsRequest(model, inputs, "base64".equals(format), dims == null ? 0 : dims.intValue(), user,
                body);
    }

    @Override
    public String toString() {
        return "EmbeddingsRequest[model=" + model + ", " + inputs.size() + " inputs]";
    }
}
