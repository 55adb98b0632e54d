package io.fairlane.engine.exec;

import java.util.List;

/**
 * The sequences of one forward step, in the order outputs come back. Decodes and prefill chunks may be mixed.
 * No two sequences may write the same KV slot in one step (the block pool's copy-on-write guarantees it).
 *
 * @param sequences at least one
 */
public record BatchInput(List<SequenceInput> sequences) {

    public BatchInput {
        sequences = List.copyOf(sequences);
        if (sequences.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one sequence");
        }
    }

    public static BatchInput of(SequenceInput... sequences) {
        return new BatchInput(List.of(sequences));
    }

    public int size() {
        return sequences.size();
    }

    /** Tokens over all sequences. */
    public int tokenCount() {
        int n = 0;
        for (SequenceInput s : sequences) {
            n += s.tokens().length;
        }
        return n;
    }

    @Override
    public String toString() {
        return "BatchInput[" + sequences.size() + " sequences, " + tokenCount() + " tokens]";
    }
}
