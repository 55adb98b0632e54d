package io.fairlane.engine.sampling;

import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.ThinkingMode;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The sampling state of one choice: its parameters, its RNG stream seed, how many tokens it has generated (the
 * RNG counter) and how often each output token occurred (for presence and frequency penalties).
 *
 * <p>Mutable and confined to the engine loop thread. A backend reads it during a step and never changes it; the
 * engine calls {@link #accept(int)} with each token it emits.
 */
public final class SamplingState {

    private final SamplingParams params;
    private final long seed;
    /** Output token id → occurrences; sorted so adjustments come out in id order. */
    private final TreeMap<Integer, Integer> counts = new TreeMap<>();
    private final boolean penalised;
    /** Null when the output is free. */
    private final TokenConstraint constraint;
    /** Null unless the model thinks; then with the vocabulary whose bytes it reads. */
    private final ReasoningTracker reasoning;
    private final ConstraintVocabulary vocabulary;
    private int generated;
    private LogitAdjustments cached;

    private SamplingState(SamplingParams params, long seed, TokenConstraint constraint, ReasoningTracker reasoning,
                          ConstraintVocabulary vocabulary) {
        this.params = Objects.requireNonNull(params, "params");
        this.seed = seed;
        this.penalised = params.presencePenalty() != 0 || params.frequencyPenalty() != 0;
        this.constraint = constraint;
        this.reasoning = reasoning;
        this.vocabulary = vocabulary;
    }

    /**
     * The state of choice {@code choice} of a request with seed {@code requestSeed}.
     *
     * @see CounterRng#choiceSeed(long, int)
     */
    public static SamplingState of(SamplingParams params, long requestSeed, int choice) {
        if (params.constraint() != null) {
            throw new IllegalArgumentException("constrained output needs the model's vocabulary: use of(params,"
                    + " requestSeed, choice, vocabulary)");
        }
        return of(params, requestSeed, choice, null);
    }

    /**
     * The state of choice {@code choice}, with a fresh {@link TokenConstraint} over {@code vocabulary} when
     * {@code params} constrain the output ({@code vocabulary} may be null when they do not).
     */
    public static SamplingState of(SamplingParams params, long requestSeed, int choice,
                                   ConstraintVocabulary vocabulary) {
        return of(params, requestSeed, choice, vocabulary, ThinkingMode.NONE);
    }

    /**
     * The state of choice {@code choice} of a thinking model's output that starts as {@code thinking} says: its
     * reasoning tokens are told apart ({@link #lastTokenReasoning()}) and a constraint applies to the answer only.
     * {@code vocabulary} may be null only when the output is free and {@code thinking} is
     * {@link ThinkingMode#NONE}.
     */
    public static SamplingState of(SamplingParams params, long requestSeed, int choice,
                                   ConstraintVocabulary vocabulary, ThinkingMode thinking) {
        Objects.requireNonNull(params, "params");
        Objects.requireNonNull(thinking, "thinking");
        if (choice < 0) {
            throw new IllegalArgumentException("choice must be >= 0, was " + choice);
        }
        ReasoningTracker reasoning = ReasoningTracker.start(thinking);
        if (reasoning != null || params.constraint() != null) {
            Objects.requireNonNull(vocabulary, "vocabulary");
        }
        TokenConstraint constraint = null;
        if (params.constraint() != null) {
            constraint = new TokenConstraint(params.constraint(), vocabulary, reasoning);
        }
        return new SamplingState(params, CounterRng.choiceSeed(requestSeed, choice), constraint, reasoning,
                vocabulary);
    }

    /** Seeded from {@code params.seed()} when given, else from a fresh random request seed. */
    public static SamplingState of(SamplingParams params, int choice) {
        long requestSeed = params.seed().isPresent() ? params.seed().getAsLong()
                : ThreadLocalRandom.current().nextLong();
        return of(params, requestSeed, choice);
    }

    public SamplingParams params() {
        return params;
    }

    /** The choice's constrained-decoding state, or null when its output is free. */
    public TokenConstraint constraint() {
        return constraint;
    }

    /** This choice's RNG stream seed. */
    public long seed() {
        return seed;
    }

    /** The RNG counter of the next draw: tokens generated so far. */
    public long counter() {
        return generated;
    }

    public int generated() {
        return generated;
    }

    /** Occurrences of {@code tokenId} among the generated tokens. */
    public int count(int tokenId) {
        return counts.getOrDefault(tokenId, 0);
    }

    /**
     * {@code -1} when no log probabilities are wanted, else how many alternatives to return (0 = only the chosen
     * token's).
     */
    public int logprobs() {
        if (!params.logprobs() && params.topLogprobs() == 0) {
            return -1;
        }
        return params.topLogprobs();
    }

    /** Whether the last token {@link #accept accepted} was reasoning (see {@link ThinkingMode}). */
    public boolean lastTokenReasoning() {
        return reasoning != null && reasoning.lastReasoning();
    }

    /** Records an emitted token: advances the counter, the penalty counts, the constraint and the think block. */
    public void accept(int tokenId) {
        generated++;
        if (constraint != null) {
            constraint.advance(tokenId);
        }
        if (reasoning != null) {
            reasoning.advance(tokenId >= 0 && tokenId < vocabulary.size() ? vocabulary.bytes(tokenId) : new byte[0]);
        }
        if (penalised) {
            counts.merge(tokenId, 1, Integer::sum);
            cached = null;
        }
    }

    /**
     * Logit bias plus presence and frequency penalties as OpenAI defines them:
     * {@code logit[t] += bias[t] - presence * (count[t] > 0) - frequency * count[t]}, counting generated tokens only.
     */
    public LogitAdjustments adjustments() {
        if (cached != null) {
            return cached;
        }
        Map<Integer, Double> bias = params.logitBias();
        if (bias.isEmpty() && counts.isEmpty()) {
            cached = LogitAdjustments.NONE;
            return cached;
        }
        TreeMap<Integer, Double> sum = new TreeMap<>(bias);
        for (Map.Entry<Integer, Integer> e : counts.entrySet()) {
            double d = -params.presencePenalty() - params.frequencyPenalty() * e.getValue();
            sum.merge(e.getKey(), d, Double::sum);
        }
        int[] tokens = new int[sum.size()];
        float[] deltas = new float[sum.size()];
        int i = 0;
        for (Map.Entry<Integer, Double> e : sum.entrySet()) {
            tokens[i] = e.getKey();
            deltas[i] = (float) (double) e.getValue();
            i++;
        }
        cached = new LogitAdjustments(tokens, deltas);
        return cached;
    }

    @Override
    public String toString() {
        return "SamplingState[generated=" + generated + ", distinct=" + counts.size() + "]";
    }
}
