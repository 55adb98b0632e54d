package io.fairlane.engine.sampling;

import java.util.Arrays;

/**
 * A sampled token with its log probabilities when they were asked for.
 *
 * @param tokenId     the chosen id
 * @param logprob     natural-log probability of {@code tokenId} (log-softmax of the logits after logit bias and
 *                    penalties, before temperature), NaN when not asked
 * @param topIds      the most likely ids, most likely first (lower id first on ties); empty when not asked
 * @param topLogprobs their log probabilities
 */
public record SampleResult(int tokenId, float logprob, int[] topIds, float[] topLogprobs) {

    private static final int[] NO_IDS = new int[0];
    private static final float[] NO_LOGPROBS = new float[0];

    public SampleResult {
        topIds = topIds == null ? NO_IDS : topIds;
        topLogprobs = topLogprobs == null ? NO_LOGPROBS : topLogprobs;
        if (topIds.length != topLogprobs.length) {
            throw new IllegalArgumentException("topIds and topLogprobs differ in length");
        }
    }

    /** A token without log probabilities. */
    public static SampleResult of(int tokenId) {
        return new SampleResult(tokenId, Float.NaN, NO_IDS, NO_LOGPROBS);
    }

    public boolean hasLogprob() {
        return !Float.isNaN(logprob);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SampleResult r && tokenId == r.tokenId
                && Float.floatToIntBits(logprob) == Float.floatToIntBits(r.logprob)
                && Arrays.equals(topIds, r.topIds) && Arrays.equals(topLogprobs, r.topLogprobs);
    }

    @Override
    public int hashCode() {
        return tokenId * 31 + Arrays.hashCode(topIds);
    }

    @Override
    public String toString() {
        return "SampleResult[token=" + tokenId + (hasLogprob() ? ", logprob=" + logprob : "")
                + (topIds.length > 0 ? ", top=" + topIds.length : "") + "]";
    }
}
