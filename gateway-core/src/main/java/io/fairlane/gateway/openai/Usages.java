package io.fairlane.gateway.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.Json;

/**
 * The {@code usage} object as clients expect it: integers only, never null, with
 * {@code prompt_tokens_details.cached_tokens} and {@code completion_tokens_details.reasoning_tokens}
 * always present (0 when unknown). Several servers send nulls or leave the details out, which breaks
 * strictly typed clients.
 */
public final class Usages {

    private Usages() {
    }

    /** A complete usage object for chat and legacy completions. */
    public static ObjectNode of(int promptTokens, int cachedTokens, int completionTokens) {
        return of(promptTokens, cachedTokens, completionTokens, 0);
    }

    /** A complete usage object, {@code reasoningTokens} of the completion tokens having been a model's thinking. */
    public static ObjectNode of(int promptTokens, int cachedTokens, int completionTokens, int reasoningTokens) {
        ObjectNode u = Json.MAPPER.createObjectNode();
        u.put("prompt_tokens", promptTokens);
        u.put("completion_tokens", completionTokens);
        u.put("total_tokens", promptTokens + completionTokens);
        ObjectNode p = u.putObject("prompt_tokens_details");
        p.put("cached_tokens", cachedTokens);
        p.put("audio_tokens", 0);
        ObjectNode c = u.putObject("completion_tokens_details");
        c.put("reasoning_tokens", reasoningTokens);
        c.put("audio_tokens", 0);
        c.put("accepted_prediction_tokens", 0);
        c.put("rejected_prediction_tokens", 0);
        return u;
    }

    /** Usage of an embeddings response: prompt and total tokens only. */
    public static ObjectNode embeddings(int promptTokens) {
        ObjectNode u = Json.MAPPER.createObjectNode();
        u.put("prompt_tokens", promptTokens);
        u.put("total_tokens", promptTokens);
        return u;
    }

    /**
     * Repairs an upstream's usage object in place: every count an integer (null or missing → 0, a decimal
     * rounded), {@code total_tokens} consistent, both detail objects present.
     *
     * @param withDetails false for embeddings, whose usage has no detail objects
     * @return whether anything had to change (a well-formed usage is left byte-for-byte alone)
     */
    public static boolean normalise(ObjectNode u, boolean withDetails) {
        boolean changed = false;
        int prompt = integer(u, "prompt_tokens");
        changed |= set(u, "prompt_tokens", prompt);
        if (withDetails) {
            int completion = integer(u, "completion_tokens");
            changed |= set(u, "completion_tokens", completion);
            int total = u.path("total_tokens").isNumber() ? (int) Math.round(u.get("total_tokens").asDouble())
                    : prompt + completion;
            changed |= set(u, "total_tokens", total);
            boolean hadPrompt = u.get("prompt_tokens_details") instanceof ObjectNode;
            boolean hadCompletion = u.get("completion_tokens_details") instanceof ObjectNode;
            ObjectNode p = details(u, "prompt_tokens_details");
            changed |= !hadPrompt | set(p, "cached_tokens", integer(p, "cached_tokens"));
            ObjectNode c = details(u, "completion_tokens_details");
            changed |= !hadCompletion | set(c, "reasoning_tokens", integer(c, "reasoning_tokens"));
            changed |= integersInPlace(p);
            changed |= integersInPlace(c);
        } else {
            changed |= set(u, "total_tokens", u.path("total_tokens").isNumber()
                    ? (int) Math.round(u.get("total_tokens").asDouble()) : prompt);
        }
        return changed;
    }

    /** Sets an integer field unless it already holds exactly that integer; true when it changed. */
    private static boolean set(ObjectNode o, String name, int value) {
        JsonNode v = o.get(name);
        if (v != null && v.isIntegralNumber() && v.canConvertToInt() && v.intValue() == value) {
            return false;
        }
        o.put(name, value);
        return true;
    }

    public static int promptTokens(JsonNode usage) {
        return usage.path("prompt_tokens").asInt(0);
    }

    public static int completionTokens(JsonNode usage) {
        return usage.path("completion_tokens").asInt(0);
    }

    public static int cachedTokens(JsonNode usage) {
        return usage.path("prompt_tokens_details").path("cached_tokens").asInt(0);
    }

    public static int reasoningTokens(JsonNode usage) {
        return usage.path("completion_tokens_details").path("reasoning_tokens").asInt(0);
    }

    private static ObjectNode details(ObjectNode u, String name) {
        JsonNode d = u.get(name);
        if (d instanceof ObjectNode o) {
            return o;
        }
        return u.putObject(name);
    }

    /** The counts OpenAI's detail objects hold; only these are repaired (no iteration, no allocation). */
    private static final String[] DETAIL_COUNTS = {"cached_tokens", "audio_tokens", "reasoning_tokens",
            "accepted_prediction_tokens", "rejected_prediction_tokens", "text_tokens", "image_tokens"};

    private static boolean integersInPlace(ObjectNode o) {
        boolean changed = false;
        for (String name : DETAIL_COUNTS) {
            JsonNode v = o.get(name);
            if (v != null && (v.isNull() || v.isNumber() && !v.isIntegralNumber())) {
                o.put(name, v.isNull() ? 0 : (int) Math.round(v.asDouble()));
                changed = true;
            }
        }
        return changed;
    }

    private static int integer(JsonNode o, String name) {
        JsonNode v = o.get(name);
        if (v == null || !v.isNumber()) {
            return 0;
        }
        return (int) Math.max(0, Math.round(v.asDouble()));
    }
}
