package io.fairlane.gateway.openai;

import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The sampling and stopping parameters shared by chat and legacy completions, as the client sent them
 * (empty where it sent nothing, so a backend can apply its own defaults).
 *
 * @param temperature      0..2
 * @param topP             0..1
 * @param frequencyPenalty -2..2
 * @param presencePenalty  -2..2
 * @param logitBias        token id → bias in -100..100
 * @param seed             request seed
 * @param stop             stop strings (at most 4)
 * @param maxTokens        output limit per choice ({@code max_completion_tokens} or {@code max_tokens})
 * @param topK             extension (vLLM): top-k cut, 0 = none
 * @param minP             extension (vLLM): min-p cut
 * @param ignoreEos        extension (vLLM): keep generating past end-of-sequence tokens
 */
public record SamplingOptions(
        OptionalDouble temperature,
        OptionalDouble topP,
        OptionalDouble frequencyPenalty,
        OptionalDouble presencePenalty,
        Map<Integer, Double> logitBias,
        OptionalLong seed,
        List<String> stop,
        OptionalInt maxTokens,
        OptionalInt topK,
        OptionalDouble minP,
        boolean ignoreEos) {

    public SamplingOptions {
        logitBias = Map.copyOf(logitBias);
        stop = List.copyOf(stop);
    }

    static SamplingOptions read(Fields f, int maxStops, OptionalInt maxTokens, double maxTemperature) {
        Map<Integer, Double> bias = Map.of();
        var lb = f.object("logit_bias");
        if (lb != null) {
            var m = new java.util.HashMap<Integer, Double>();
            var it = lb.fields();
            while (it.hasNext()) {
                var e = it.next();
                String p = f.path("logit_bias") + "." + e.getKey();
                int token;
                try {
                    token = Integer.parseInt(e.getKey());
                    if (token < 0) {
                        throw new NumberFormatException();
                    }
                } catch (NumberFormatException ex) {
                    throw io.fairlane.gateway.http.ApiException.invalidRequest("Invalid key in 'logit_bias': '"
                            + e.getKey() + "' is not a token id (a non-negative integer).", f.path("logit_bias"),
                            "invalid_value");
                }
                if (!e.getValue().isNumber()) {
                    throw Fields.invalidType(p, "a decimal", e.getValue());
                }
                double v = e.getValue().asDouble();
                if (v < -100 || v > 100) {
                    throw io.fairlane.gateway.http.ApiException.invalidRequest("Invalid '" + p
                            + "': bias must be between -100 and 100, but got " + e.getValue().asText() + " instead.",
                            f.path("logit_bias"), "invalid_value");
                }
                m.put(token, v);
            }
            bias = m;
        }
        Long seed = f.integer("seed", Long.MIN_VALUE, Long.MAX_VALUE);
        Long topK = f.integer("top_k", -1, Integer.MAX_VALUE);
        return new SamplingOptions(
                opt(f.number("temperature", 0, maxTemperature)),
                opt(f.number("top_p", 0, 1)),
                opt(f.number("frequency_penalty", -2, 2)),
                opt(f.number("presence_penalty", -2, 2)),
                bias,
                seed == null ? OptionalLong.empty() : OptionalLong.of(seed),
                f.stop(maxStops),
                maxTokens,
                topK == null || topK <= 0 ? OptionalInt.empty() : OptionalInt.of(topK.intValue()),
                opt(f.number("min_p", 0, 1)),
                f.bool("ignore_eos", false));
    }

    private static OptionalDouble opt(Double d) {
        return d == null ? OptionalDouble.empty() : OptionalDouble.of(d);
    }
}
