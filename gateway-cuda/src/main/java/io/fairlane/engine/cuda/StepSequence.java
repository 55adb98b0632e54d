package io.fairlane.engine.cuda;

import java.util.Objects;

/**
 * One sequence's part of a forward step: the tokens it feeds now (one for a decode, a chunk for a prefill), where
 * they sit, which KV blocks hold its context, and what the step should produce for it.
 *
 * @param tokens         query tokens of this step; a negative entry -(r + 1) stands for the token the previous
 *                       step sampled for its r-th sampled row, read on the device (lets the engine launch a decode
 *                       step before it has read the previous step's ids)
 * @param startPosition  position of tokens[0]; positions before it are already in the KV cache (earlier chunks,
 *                       prefix-cache hits)
 * @param blockTable     KV block ids covering positions [0, startPosition + tokens.length), in order
 * @param output         what to produce
 * @param sampling       how to sample (for {@link Output#SAMPLE}); null otherwise
 * @param adjustTokens   token ids whose logits get {@code adjustDeltas} added before sampling (logit_bias and
 *                       presence/frequency penalties folded together by the caller); unique ids; may be empty
 * @param adjustDeltas   the additions, one per adjusted token
 */
public record StepSequence(int[] tokens, int startPosition, int[] blockTable, Output output, SampleSpec sampling,
                           int[] adjustTokens, float[] adjustDeltas) {

    /** What a step produces for a sequence. */
    public enum Output {
        /** Nothing: a prefill chunk that is not the prompt's last. */
        NONE,
        /** A sampled token (with log probabilities when asked), computed on the device. */
        SAMPLE,
        /** The full f32 logits of the last token (tests, host-side sampling). */
        LOGITS,
        /** Mean over this step's tokens of the final normalised hidden state (embeddings). */
        HIDDEN_MEAN
    }

    /**
     * @param temperature 0 for greedy
     * @param topP        1 for off
     * @param minP        0 for off
     * @param topK        0 for off
     * @param seed        the row's RNG seed
     * @param counter     the RNG counter (e.g. the index of the token being generated)
     * @param logprobs    -1: none; 0: the chosen token's; n: also the n most likely (n <= 20)
     */
    public record SampleSpec(float temperature, float topP, float minP, int topK, long seed, long counter,
                             int logprobs) {
        public SampleSpec {
            if (!(temperature >= 0) || !(topP > 0 && topP <= 1) || !(minP >= 0 && minP <= 1) || topK < 0
                    || logprobs < -1 || logprobs > CudaModelRunner.MAX_TOP_LOGPROBS) {
                throw new IllegalArgumentException("invalid sampling spec " + temperature + "/" + topP + "/" + minP
                        + "/" + topK + "/" + logprobs);
            }
        }

        public static SampleSpec greedy() {
            return new SampleSpec(0, 1, 0, 0, 0, 0, -1);
        }
    }

    public StepSequence {
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(blockTable, "blockTable");
        Objects.requireNonNull(output, "output");
        adjustTokens = adjustTokens == null ? new int[0] : adjustTokens;
        adjustDeltas = adjustDeltas == null ? new float[0] : adjustDeltas;
        if (tokens.length == 0) {
            throw new IllegalArgumentException("a step sequence needs at least one token");
        }
        if (startPosition < 0) {
            throw new IllegalArgumentException("startPosition must be >= 0, was " + startPosition);
        }
        if (output == Output.SAMPLE && sampling == null) {
            throw new IllegalArgumentException("SAMPLE needs a sampling spec");
        }
        if (adjustTokens.length != adjustDeltas.length) {
            throw new IllegalArgumentException("adjustTokens and adjustDeltas differ in length");
        }
    }

    /** A greedy decode or prefill that samples its last token. */
    public static StepSequence sample(int[] tokens, int startPosition, int[] blockTable, SampleSpec spec) {
        return new StepSequence(tokens, startPosition, blockTable, Output.SAMPLE, spec, null, null);
    }

    /** Tokens in the KV cache once this step ran. */
    public int contextAfter() {
        return startPosition + tokens.length;
    }

    @Override
    public String toString() {
        return "StepSequence[" + tokens.length + " tokens at " + startPosition + ", " + blockTable.length
                + " blocks, " + output + "]";
    }
}
