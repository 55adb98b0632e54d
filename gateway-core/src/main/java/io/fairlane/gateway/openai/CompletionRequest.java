package io.fairlane.gateway.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.engine.Prompt;
import io.fairlane.gateway.http.ApiException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * {@code POST /v1/completions} (legacy), validated against OpenAI's {@code CreateCompletionRequest}.
 *
 * @param model        requested model id
 * @param prompts      one or more prompts: text, or token ids
 * @param stream       server-sent events
 * @param includeUsage {@code stream_options.include_usage}
 * @param n            completions per prompt
 * @param bestOf       candidates per prompt (only {@code best_of == n} is served locally)
 * @param echo         prepend each prompt to its completions
 * @param logprobs     alternatives per position in the legacy shape (0..5), or -1 when not asked
 * @param suffix       text after the completion (insertion), or null
 * @param sampling     sampling and stopping parameters
 * @param serviceTier  tier asked for ({@code auto} when unset)
 * @param user         end-user id
 * @param raw          the request body as sent
 */
public record CompletionRequest(
        String model,
        List<Prompt> prompts,
        boolean stream,
        boolean includeUsage,
        int n,
        int bestOf,
        boolean echo,
        int logprobs,
        String suffix,
        SamplingOptions sampling,
        String serviceTier,
        String user,
        ObjectNode raw) {

    /** OpenAI's default for legacy completions. */
    public static final int DEFAULT_MAX_TOKENS = 16;

    public CompletionRequest {
        Objects.requireNonNull(model, "model");
        prompts = List.copyOf(prompts);
    }

    public static CompletionRequest parse(ObjectNode body) {
        Fields f = new Fields(body, "");
        String model = f.requiredString("model");
        List<Prompt> prompts = prompts(f.required("prompt"), "prompt");
        boolean stream = f.bool("stream", false);
        boolean includeUsage = ChatCompletionRequest.streamOptions(f, stream);
        Long nValue = f.integer("n", 1, 128);
        int n = nValue == null ? 1 : nValue.intValue();
        Long bestOf = f.integer("best_of", 0, 20);
        if (bestOf != null && bestOf < n) {
            throw ApiException.invalidRequest("best_of must be greater than or equal to n.", "best_of", "invalid_value");
        }
        if (bestOf != null && bestOf > 1 && stream) {
            throw ApiException.invalidRequest("Cannot stream results with best_of greater than 1.", "best_of",
                    "invalid_value");
        }
        Long maxTokens = f.integer("max_tokens", 0, Integer.MAX_VALUE);
        SamplingOptions sampling = SamplingOptions.read(f, 4,
                OptionalInt.of(maxTokens == null ? DEFAULT_MAX_TOKENS : maxTokens.intValue()), 2);
        Long logprobs = f.integer("logprobs", 0, 5);
        String suffix = f.string("suffix");
        boolean echo = f.bool("echo", false);
        String tier = f.enumString("service_tier", List.of("auto", "default", "flex", "scale", "priority", "fast"));
        String user = f.string("user");
        return new CompletionRequest(model, prompts, stream, includeUsage, n, bestOf == null ? n : bestOf.intValue(),
                echo, logprobs == null ? -1 : logprobs.intValue(), suffix, sampling, tier == null ? "auto" : tier, user,
                body);
    }

    /**
     * A prompt parameter: a string, an array of strings, an array of token ids, or an array of arrays of
     * token ids ({@code input} of embeddings has the same shape).
     */
    static List<Prompt> prompts(JsonNode v, String path) {
        if (v.isTextual()) {
            return List.of(new Prompt.Text(v.textValue()));
        }
        if (!v.isArray()) {
            throw ApiException.invalidRequest("Invalid type for '" + path + "': expected a string, an array of strings, "
                    + "an array of integers or an array of integer arrays, but got " + Fields.typeName(v) + " instead.",
                    path, "invalid_type");
        }
        // OpenAI's schema caps a list of prompts or inputs at 2048 items, and embeddings' token-id input too; a
        // completions prompt given as token ids has no such cap (its bound is the context length, which the
        // engine answers with context_length_exceeded), so a 4,000-token id prompt is not refused here.
        boolean completionTokenIds = path.equals("prompt") && !v.isEmpty() && v.get(0).isNumber();
        Fields.arrayValue(v, path, 1, completionTokenIds ? Integer.MAX_VALUE : 2048);
        List<Prompt> out = new ArrayList<>(v.size());
        if (v.get(0).isNumber()) {
            out.add(new Prompt.TokenIds(tokenIds(v, path)));
            return out;
        }
        for (int i = 0; i < v.size(); i++) {
            JsonNode item = v.get(i);
            String p = path + "[" + i + "]";
            if (item.isTextual()) {
                out.add(new Prompt.Text(item.textValue()));
            } else if (item.isArray()) {
                Fields.arrayValue(item, p, 1, Integer.MAX_VALUE);
                out.add(new Prompt.TokenIds(tokenIds(item, p)));
            } else {
                throw ApiException.invalidRequest("Invalid type for '" + p + "': expected a string or an array of "
                        + "integers, but got " + Fields.typeName(item) + " instead.", p, "invalid_type");
            }
        }
        return out;
    }

    private static int[] tokenIds(JsonNode arr, String path) {
        int[] ids = new int[arr.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (int) Fields.integerValue(arr.get(i), path + "[" + i + "]", 0, Integer.MAX_VALUE);
        }
        return ids;
    }

    @Override
    public String toString() {
        return "CompletionRequest[model=" + model + ", " + prompts.size() + " prompts, n=" + n + ", stream=" + stream + "]";
    }
}
