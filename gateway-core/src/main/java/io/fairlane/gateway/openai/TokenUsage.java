package io.fairlane.gateway.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The tokens one request used, as the gateway accounts them: what the client is told ({@code usage}), what the
 * metrics count and what settles the request's scheduler ticket. A value of its own, so that each of those
 * reads the same numbers without going through the access log's fields.
 *
 * @param promptTokens     prompt tokens, cached ones included
 * @param cachedTokens     prompt tokens served from a prefix cache
 * @param completionTokens generated tokens
 * @param reasoningTokens  those of the generated tokens that were a model's thinking (0 for models that do not
 *                         think), {@code completion_tokens_details.reasoning_tokens}
 */
public record TokenUsage(int promptTokens, int cachedTokens, int completionTokens, int reasoningTokens) {

    /** Nothing used, or nothing known yet. */
    public static final TokenUsage NONE = new TokenUsage(0, 0, 0);

    public TokenUsage {
        if (promptTokens < 0 || cachedTokens < 0 || completionTokens < 0 || reasoningTokens < 0) {
            throw new IllegalArgumentException("token counts must be >= 0, were " + promptTokens + "/"
                    + cachedTokens + "/" + completionTokens + "/" + reasoningTokens);
        }
    }

    /** Usage without reasoning tokens. */
    public TokenUsage(int promptTokens, int cachedTokens, int completionTokens) {
        this(promptTokens, cachedTokens, completionTokens, 0);
    }

    /** The counts of an OpenAI {@code usage} object (missing fields read as 0). */
    public static TokenUsage of(JsonNode usage) {
        return new TokenUsage(Math.max(0, Usages.promptTokens(usage)), Math.max(0, Usages.cachedTokens(usage)),
                Math.max(0, Usages.completionTokens(usage)), Math.max(0, Usages.reasoningTokens(usage)));
    }

    /** Both requests' tokens together (legacy completions with several prompts). */
    public TokenUsage plus(TokenUsage other) {
        return new TokenUsage(promptTokens + other.promptTokens, cachedTokens + other.cachedTokens,
                completionTokens + other.completionTokens, reasoningTokens + other.reasoningTokens);
    }

    /** Whether nothing was counted. */
    public boolean isEmpty() {
        return promptTokens == 0 && completionTokens == 0;
    }

    /** The complete {@code usage} object of a chat or legacy completion. */
    public ObjectNode toJson() {
        return Usages.of(promptTokens, cachedTokens, completionTokens, reasoningTokens);
    }
}
