package io.fairlane.engine;

/**
 * Token accounting for one request, summed over its choices.
 *
 * @param promptTokens     tokens of the prompt (counted once whatever n is)
 * @param cachedTokens     prompt tokens served from the prefix cache
 * @param completionTokens output tokens of all choices
 */
public record Usage(int promptTokens, int cachedTokens, int completionTokens) {

    public Usage {
        if (promptTokens < 0 || cachedTokens < 0 || completionTokens < 0 || cachedTokens > promptTokens) {
            throw new IllegalArgumentException("invalid usage: prompt=" + promptTokens + " cached=" + cachedTokens
                    + " completion=" + completionTokens);
        }
    }

    public int totalTokens() {
        return promptTokens + completionTokens;
    }
}
