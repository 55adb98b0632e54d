package io.fairlane.gateway.lane.upstream;

import io.fairlane.gateway.config.RoutingConfig.OutputLimits;

/**
 * How much one request's answer may hold: bytes from the upstream in all ({@code max_response_size}), and for a
 * request with a token limit, output chunks and characters of output text in proportion to it (with the model's
 * slack). An upstream that keeps sending past either is cut off with a clear error instead of being relayed
 * without end. A chunk carries at least one token, so counting chunks never cuts a legitimate answer short.
 *
 * @param maxBytes  bytes of the upstream's body
 * @param maxChunks output chunks, or -1 without a token limit
 * @param maxChars  characters of output text, or -1 without a token limit
 * @param tokens    the token limit the bounds come from (0 without), for the error message
 */
record OutputBudget(long maxBytes, long maxChunks, long maxChars, long tokens) {

    /** The budget of a request allowed {@code maxTokens} output tokens in all (0 when it set no limit). */
    static OutputBudget of(OutputLimits limits, long maxTokens) {
        long chunks = limits.outputChunkLimit(maxTokens);
        return new OutputBudget(limits.maxResponseBytes(), chunks,
                chunks < 0 ? -1 : chunks * limits.maxBytesPerToken(), Math.max(0, maxTokens));
    }

    /** @throws UpstreamAnswerException when the counts so far exceed the budget */
    void check(long bytes, long chunks, long chars) {
        if (bytes > maxBytes) {
            throw new UpstreamAnswerException(UpstreamErrors.tooLarge(maxBytes));
        }
        if ((maxChunks >= 0 && chunks > maxChunks) || (maxChars >= 0 && chars > maxChars)) {
            throw new UpstreamAnswerException(UpstreamErrors.tooMuchOutput(tokens));
        }
    }
}
