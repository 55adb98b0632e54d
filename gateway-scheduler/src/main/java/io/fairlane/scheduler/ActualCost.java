package io.fairlane.scheduler;

/**
 * What a piece of work really cost, known when it completes (or is cancelled part-way).
 *
 * @param promptTokens tokens of input
 * @param cachedTokens input tokens served from a prefix cache
 * @param outputTokens output tokens produced
 */
public record ActualCost(int promptTokens, int cachedTokens, int outputTokens) {

    public ActualCost {
        if (promptTokens < 0 || cachedTokens < 0 || outputTokens < 0 || cachedTokens > promptTokens) {
            throw new IllegalArgumentException("invalid cost: prompt=" + promptTokens
                    + " cached=" + cachedTokens + " output=" + outputTokens);
        }
    }

    /** Input tokens that were actually computed. */
    public int extendTokens() {
        return promptTokens - cachedTokens;
    }

    /** Work that never ran. */
    public static final ActualCost NONE = new ActualCost(0, 0, 0);
}
