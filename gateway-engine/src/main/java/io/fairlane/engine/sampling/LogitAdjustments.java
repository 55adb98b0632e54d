package io.fairlane.engine.sampling;

import java.util.Arrays;

/**
 * Additions to a logits row before sampling: logit bias and presence/frequency penalties folded into one sparse
 * list, sorted by token id, each id once. A GPU backend uploads the two arrays as they are.
 *
 * @param tokens ids, ascending and unique
 * @param deltas what to add to each id's logit
 */
public record LogitAdjustments(int[] tokens, float[] deltas) {

    static final LogitAdjustments NONE = new LogitAdjustments(new int[0], new float[0]);

    public LogitAdjustments {
        if (tokens.length != deltas.length) {
            throw new IllegalArgumentException("tokens and deltas differ in length");
        }
    }

    public int size() {
        return tokens.length;
    }

    public boolean isEmpty() {
        return tokens.length == 0;
    }

    /** Adds the deltas to {@code logits} in place; ids outside the row are ignored. */
    public void applyTo(float[] logits) {
        for (int i = 0; i < tokens.length; i++) {
            int t = tokens[i];
            if (t >= 0 && t < logits.length) {
                logits[t] += deltas[i];
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogitAdjustments a && Arrays.equals(tokens, a.tokens) && Arrays.equals(deltas, a.deltas);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(tokens) * 31 + Arrays.hashCode(deltas);
    }

    @Override
    public String toString() {
        return "LogitAdjustments[" + tokens.length + " tokens]";
    }
}
