package io.fairlane.engine.cuda;

/**
 * What a forward step produced, indexed like the step's sequences. Only the entries a sequence asked for are
 * filled: tokens (-1 otherwise), log probabilities (NaN otherwise), top alternatives, logits, pooled states.
 */
public final class StepResult {

    private final int[] tokens;
    private final float[] logprobs;
    private final int[][] topIds;
    private final float[][] topLogprobs;
    private final float[][] logits;
    private final float[][] pooled;

    StepResult(int sequences) {
        tokens = new int[sequences];
        java.util.Arrays.fill(tokens, -1);
        logprobs = new float[sequences];
        java.util.Arrays.fill(logprobs, Float.NaN);
        topIds = new int[sequences][];
        topLogprobs = new float[sequences][];
        logits = new float[sequences][];
        pooled = new float[sequences][];
    }

    /** The sampled token of sequence {@code i}, or -1 when it did not sample. */
    public int token(int i) {
        return tokens[i];
    }

    /** Natural-log probability of the sampled token (before temperature), or NaN when not asked. */
    public float logprob(int i) {
        return logprobs[i];
    }

    /** The most likely alternatives, most likely first, or null when not asked. */
    public int[] topIds(int i) {
        return topIds[i];
    }

    public float[] topLogprobs(int i) {
        return topLogprobs[i];
    }

    /** Full logits for {@link StepSequence.Output#LOGITS}, else null. */
    public float[] logits(int i) {
        return logits[i];
    }

    /** Mean final hidden state for {@link StepSequence.Output#HIDDEN_MEAN}, else null. */
    public float[] pooled(int i) {
        return pooled[i];
    }

    public int size() {
        return tokens.length;
    }

    void setToken(int i, int token, float logprob) {
        tokens[i] = token;
        logprobs[i] = logprob;
    }

    void setTop(int i, int[] ids, float[] lps) {
        topIds[i] = ids;
        topLogprobs[i] = lps;
    }

    void setLogits(int i, float[] values) {
        logits[i] = values;
    }

    void setPooled(int i, float[] values) {
        pooled[i] = values;
    }

    @Override
    public String toString() {
        return "StepResult[" + tokens.length + " sequences]";
    }
}
