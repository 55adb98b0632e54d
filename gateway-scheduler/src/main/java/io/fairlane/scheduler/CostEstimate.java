package io.fairlane.scheduler;

/**
 * What a piece of work is expected to cost, known at admission.
 *
 * @param promptTokens    tokens of input
 * @param cachedTokens    input tokens expected to be served from a prefix cache (0 when unknown);
 *                        never more than {@code promptTokens}
 * @param maxOutputTokens the most output tokens the work may produce
 */
public record CostEstimate(int promptTokens, int cachedTokens, int maxOutputTokens) {

    public CostEstimate {
        if (promptTokens < 0) {
            throw new IllegalArgumentException("promptTokens must be >= 0, was " + promptTokens);
        }
        if (cachedTokens < 0 || cachedTokens > promptTokens) {
            throw new IllegalArgumentException(
                    "cachedTokens must be in [0, promptTokens=" + promptTokens + "], was " + cachedTokens);
        }
        if (maxOutputTokens < 0) {
            throw new IllegalArgumentException("maxOutputTokens must be >= 0, was " + maxOutputTokens);
        }
    }

    /** Input tokens that must actually be computed (the "extend" tokens of DLPM). */
    public int extendTokens() {
        return promptTokens - cachedTokens;
    }

    /** Tokens a rate limit reserves for this work: all input plus the most output it may produce. */
    public long reservedTokens() {
        return (long) promptTokens + maxOutputTokens;
    }
}
