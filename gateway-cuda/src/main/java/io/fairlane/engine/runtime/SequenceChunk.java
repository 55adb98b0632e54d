package io.fairlane.engine.runtime;

import java.util.Objects;

/**
 * One sequence's share of a forward step: tokens at consecutive positions whose KV the step computes and
 * writes into the sequence's blocks, attending over everything before them.
 *
 * @param tokens        the token ids to compute
 * @param startPosition position of {@code tokens[0]}; positions before it are already in the KV cache
 * @param blockTable    the sequence's block table (page ids), covering at least {@code startPosition +
 *                      tokens.length} positions
 * @param sample        whether the step must return logits for the last of these tokens
 */
record SequenceChunk(int[] tokens, int startPosition, int[] blockTable, boolean sample) {

    public SequenceChunk {
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(blockTable, "blockTable");
        if (tokens.length == 0 || startPosition < 0) {
            throw new IllegalArgumentException("a chunk needs tokens at a position >= 0");
        }
    }

    @Override
    public String toString() {
        return "SequenceChunk[tokens=" + tokens.length + ", start=" + startPosition + ", blocks=" + blockTable.length
                + ", sample=" + sample + "]";
    }
}
