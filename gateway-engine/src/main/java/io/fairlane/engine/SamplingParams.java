package io.fairlane.engine;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * How to choose each output token and when to stop.
 *
 * @param temperature      0 means greedy
 * @param topP             nucleus mass in (0, 1]
 * @param topK             0 means no top-k cut
 * @param minP             0 means no min-p cut
 * @param seed             per-request seed; identical results whatever else shares the batch
 * @param presencePenalty  OpenAI presence penalty in [-2, 2]
 * @param frequencyPenalty OpenAI frequency penalty in [-2, 2]
 * @param logitBias        token id to bias in [-100, 100]
 * @param logprobs         whether to return the chosen token's log probability
 * @param topLogprobs      how many alternatives to return per position (0..20)
 * @param maxTokens        the most output tokens per choice
 * @param stop             stop strings (matched across token boundaries, not included in the output)
 * @param ignoreEos        keep generating past EOS tokens (benchmarks)
 * @param constraint       the shape the output must take (constrained decoding), or null when it is free; cannot
 *                         be combined with {@code ignoreEos}, since a complete shape ends with EOS
 */
public record SamplingParams(
        double temperature,
        double topP,
        int topK,
        double minP,
        OptionalLong seed,
        double presencePenalty,
        double frequencyPenalty,
        Map<Integer, Double> logitBias,
        boolean logprobs,
        int topLogprobs,
        int maxTokens,
        List<String> stop,
        boolean ignoreEos,
        OutputConstraint constraint) {

    public SamplingParams {
        if (!(temperature >= 0)) {
            throw new IllegalArgumentException("temperature must be >= 0, was " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], was " + topP);
        }
        if (topK < 0 || !(minP >= 0 && minP <= 1) || topLogprobs < 0 || maxTokens < 1) {
            throw new IllegalArgumentException("invalid sampling parameters");
        }
        if (constraint != null && ignoreEos) {
            throw new IllegalArgumentException("ignoreEos cannot be combined with an output constraint, which ends"
                    + " the output with EOS once its shape is complete");
        }
        logitBias = Map.copyOf(logitBias);
        stop = List.copyOf(stop);
    }

    /** Free output (no constraint). */
    public SamplingParams(double temperature, double topP, int topK, double minP, OptionalLong seed,
                          double presencePenalty, double frequencyPenalty, Map<Integer, Double> logitBias,
                          boolean logprobs, int topLogprobs, int maxTokens, List<String> stop, boolean ignoreEos) {
        this(temperature, topP, topK, minP, seed, presencePenalty, frequencyPenalty, logitBias, logprobs, topLogprobs,
                maxTokens, stop, ignoreEos, null);
    }

    /** These parameters with output constrained to {@code constraint} (null for free output). */
    public SamplingParams withConstraint(OutputConstraint constraint) {
        return new SamplingParams(temperature, topP, topK, minP, seed, presencePenalty, frequencyPenalty, logitBias,
                logprobs, topLogprobs, maxTokens, stop, ignoreEos, constraint);
    }

    /** Greedy decoding of up to {@code maxTokens} tokens. */
    public static SamplingParams greedy(int maxTokens) {
        return new SamplingParams(0, 1, 0, 0, OptionalLong.empty(), 0, 0, Map.of(), false, 0, maxTokens,
                List.of(), false);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }
}
