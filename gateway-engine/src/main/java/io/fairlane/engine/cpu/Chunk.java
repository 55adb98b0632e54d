package io.fairlane.engine.cpu;

import java.util.Objects;

/**
 * One sequence's tokens in a CPU forward step.
 *
 * @param tokens        token ids {@code [len]} at positions {@code [startPosition, startPosition + len)}
 * @param startPosition position of {@code tokens[0]}
 * @param blockTable    KV block ids covering positions {@code [0, startPosition + len)}
 * @param readout       what to return for it
 */
public record Chunk(int[] tokens, int startPosition, int[] blockTable, Readout readout) {

    /** What the step returns for a chunk. */
    public enum Readout {
        /** Nothing. */
        NONE,
        /** The last token's logits {@code [vocab]}. */
        LOGITS,
        /** The mean over the chunk's tokens of the final-normed hidden state {@code [hidden]}. */
        HIDDEN_MEAN
    }

    public Chunk {
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(blockTable, "blockTable");
        Objects.requireNonNull(readout, "readout");
        if (tokens.length == 0 || startPosition < 0) {
            throw new IllegalArgumentException("a chunk needs tokens at a position >= 0");
        }
    }

    @Override
    public String toString() {
        return "Chunk[" + tokens.length + " tokens at " + startPosition + ", " + readout + "]";
    }
}
