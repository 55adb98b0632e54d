package io.fairlane.engine.exec;

import io.fairlane.engine.sampling.SamplingState;
import java.util.Objects;

/**
 * One sequence's part of a forward step: the tokens it feeds now (a prefill chunk, or the one token of a
 * decode), where they sit, which KV blocks hold its context, and what the step must produce for it.
 *
 * <p>The step computes K and V of {@code tokens} and writes them into the sequence's blocks at positions
 * {@code [startPosition, startPosition + tokens.length)}; each token attends over every position up to its own.
 * Positions before {@code startPosition} must already be in the cache (earlier chunks or prefix-cache hits).
 *
 * @param tokens        token ids of this step, {@code [len]}; a negative entry {@code -(i + 1)} stands for the token
 *                      sequence {@code i} of the previously submitted step sampled ({@link #sampledBy}), which
 *                      only {@link ExecutionBackend#submit} of a backend that
 *                      {@linkplain ExecutionBackend#feedsSampledTokens feeds sampled tokens} accepts
 * @param startPosition position of {@code tokens[0]}
 * @param blockTable    KV block ids covering positions {@code [0, startPosition + len)} in order: position p lives
 *                      in block {@code blockTable[p / blockSize]} at slot {@code p % blockSize}; may be longer
 * @param output        what to produce
 * @param sampling      the choice's sampling state for {@link Output#SAMPLE}, else null; read, never changed
 */
public record SequenceInput(int[] tokens, int startPosition, int[] blockTable, Output output,
                            SamplingState sampling) {

    /** What a step produces for a sequence. */
    public enum Output {
        /** Nothing: a prefill chunk that is not the prompt's last. */
        NONE,
        /** A token sampled from the last position's logits (with log probabilities when the state asks). */
        SAMPLE,
        /** The last position's full f32 logits (tests, host-side sampling). */
        LOGITS,
        /** The mean over this step's tokens of the final hidden state, after the final norm (embeddings). */
        HIDDEN_MEAN
    }

    public SequenceInput {
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(blockTable, "blockTable");
        Objects.requireNonNull(output, "output");
        if (tokens.length == 0) {
            throw new IllegalArgumentException("a step sequence needs at least one token");
        }
        if (startPosition < 0) {
            throw new IllegalArgumentException("startPosition must be >= 0, was " + startPosition);
        }
        if (output == Output.SAMPLE && sampling == null) {
            throw new IllegalArgumentException("output SAMPLE needs a sampling state");
        }
    }

    /** A chunk that produces nothing. */
    public static SequenceInput prefill(int[] tokens, int startPosition, int[] blockTable) {
        return new SequenceInput(tokens, startPosition, blockTable, Output.NONE, null);
    }

    /** Tokens whose last one is sampled. */
    public static SequenceInput sample(int[] tokens, int startPosition, int[] blockTable, SamplingState sampling) {
        return new SequenceInput(tokens, startPosition, blockTable, Output.SAMPLE, sampling);
    }

    /** Tokens whose last one's logits are returned. */
    public static SequenceInput logits(int[] tokens, int startPosition, int[] blockTable) {
        return new SequenceInput(tokens, startPosition, blockTable, Output.LOGITS, null);
    }

    /**
     * A one-token decode whose token is the one sequence {@code previousIndex} of the previously submitted step
     * sampled, read on the device: the step can be queued before the host has that id. The caller's
     * {@code sampling} state has then not seen that token yet: the backend draws with the state's RNG counter plus one
     * (where that token would have taken it), and its penalty counts and output constraint lag one token behind, so a
     * caller uses this only for choices without penalties or constraints; see {@link ExecutionBackend#submit}.
     */
    public static SequenceInput sampledBy(int previousIndex, int startPosition, int[] blockTable,
                                          SamplingState sampling) {
        if (previousIndex < 0) {
            throw new IllegalArgumentException("previousIndex must be >= 0, was " + previousIndex);
        }
        return new SequenceInput(new int[] {-(previousIndex + 1)}, startPosition, blockTable, Output.SAMPLE, sampling);
    }

    /** Positions in the cache once this step ran. */
    public int endPosition() {
        return startPosition + tokens.length;
    }

    @Override
    public String toString() {
        return "SequenceInput[" + tokens.length + " tokens at " + startPosition + ", " + blockTable.length
                + " blocks, " + output + "]";
    }
}
