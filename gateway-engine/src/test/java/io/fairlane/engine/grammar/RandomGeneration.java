package io.fairlane.engine.grammar;

import io.fairlane.engine.OutputConstraint;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.sampling.ConstraintVocabulary;
import io.fairlane.engine.sampling.Sampler;
import io.fairlane.engine.sampling.SamplingState;
import io.fairlane.engine.tokenizer.BuiltinTokenizer;
import io.fairlane.engine.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SplittableRandom;

/**
 * A random-weight "model" for property tests: Gaussian logits drawn afresh every step (sometimes with one token
 * far ahead, as trained models have), sampled through the real {@link Sampler} under a constraint. What it
 * writes is whatever the constraint lets through, which is the property under test.
 */
final class RandomGeneration {

    static final Tokenizer BUILTIN = BuiltinTokenizer.tokenizer();
    static final int BUILTIN_EOS = BUILTIN.tokenId(BuiltinTokenizer.END_OF_TEXT).orElseThrow();

    private RandomGeneration() {
    }

    /** The builtin tokenizer's vocabulary (1,536 byte-level BPE tokens). */
    static ConstraintVocabulary builtin() {
        return ConstraintVocabulary.of(BUILTIN.vocabSize(), BUILTIN::tokenBytes, BUILTIN::isSpecial,
                List.of(BUILTIN_EOS));
    }

    /** What a run produced. */
    record Output(String text, boolean ended, int tokens) {
    }

    /**
     * Generates until EOS or {@code maxTokens}. {@code bias} (token id → logit bias) lets a test favour tokens
     * that close strings and containers, so outputs of a random model stay short.
     */
    static Output generate(ConstraintVocabulary vocabulary, java.util.function.IntFunction<byte[]> bytes,
                           int[] eos, OutputConstraint constraint, long seed, int maxTokens,
                           Map<Integer, Double> bias) {
        SamplingParams params = new SamplingParams(1.0, 1, 0, 0, OptionalLong.of(seed), 0, 0, bias, false, 0,
                maxTokens, List.of(), false, constraint);
        SamplingState state = SamplingState.of(params, seed, 0, vocabulary);
        SplittableRandom random = new SplittableRandom(seed);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        float[] logits = new float[vocabulary.size()];
        for (int step = 0; step < maxTokens; step++) {
            for (int i = 0; i < logits.length; i++) {
                logits[i] = (float) (random.nextGaussian() * 2);
            }
            if (random.nextInt(4) == 0) {
                logits[random.nextInt(logits.length)] += 10;
            }
            int token = Sampler.sample(logits, state).tokenId();
            for (int e : eos) {
                if (e == token) {
                    return new Output(out.toString(StandardCharsets.UTF_8), true, step + 1);
                }
            }
            out.writeBytes(bytes.apply(token));
            state.accept(token);
        }
        return new Output(out.toString(StandardCharsets.UTF_8), false, maxTokens);
    }

    /** Logit bias towards the single-byte tokens that close strings, arrays and objects. */
    static Map<Integer, Double> closingBias(double amount) {
        return Map.of((int) '"', amount, (int) ']', amount, (int) '}', amount);
    }
}
