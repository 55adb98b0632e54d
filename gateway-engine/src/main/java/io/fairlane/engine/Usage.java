package io.fairlane.engine;

/**
 * Token accounting for one request, summed over its choices.
 *
 * @param promptTokens     tokens of the prompt (counted once whatever n is)
 * @param cachedTokens     prompt tokens served from the prefix cache
 * @param completionTokens output tokens of all choices
 * @param reasoningTokens  those of them that were reasoning ({@link TokenEvent.Token#reasoning()}), for OpenAI's
 *                         {@code completion_tokens_details.reasoning_tokens}; 0 for models that do not think
 */
public record Usage(int promptTokens, int cachedTokens, int completionTokens, int reasoningTokens) {

    /** Nothing used. */
    public static final Usage NONE = new Usage(0, 0, 0, 0);

    public Usage {
        if (promptTokens < 0 || cachedTokens < 0 || completionTokens < 0 || cachedTokens > promptTokens
                || reasoningTokens < 0 || reasoningTokens > completionTokens) {
            throw new IllegalArgumentException("invalid usage: prompt=" + promptTokens + " cached=" + cachedTokens
                    + " completion=" + completionTokens + " reasoning=" + reasoningTokens);
        }
    }

    /** Usage without reasoning tokens. */
    public Usage(int promptTokens, int cachedTokens, int completionTokens) {
        this(promptTokens, cachedTokens, completionTokens, 0);
    }

    public int totalTokens() {
        return promptTokens + completionTokens;
    }
}
