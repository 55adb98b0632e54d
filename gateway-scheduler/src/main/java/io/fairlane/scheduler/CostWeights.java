package io.fairlane.scheduler;

/**
 * How tokens convert to service. Defaults follow VTC and DLPM: an uncached input ("extend") token costs 1,
 * an output token costs 2 (Sheng et al., OSDI 2024; Cao et al., arXiv 2501.14312).
 *
 * @param extend cost of one uncached input token
 * @param output cost of one output token
 */
public record CostWeights(double extend, double output) {

    public static final CostWeights DEFAULT = new CostWeights(1.0, 2.0);

    public CostWeights {
        if (!(extend >= 0) || !(output >= 0)) {
            throw new IllegalArgumentException("weights must be >= 0: extend=" + extend + " output=" + output);
        }
    }

    public double of(CostEstimate e) {
        return extend * e.extendTokens() + output * e.maxOutputTokens();
    }

    public double of(ActualCost c) {
        return extend * c.extendTokens() + output * c.outputTokens();
    }
}
