package io.fairlane.engine.model;

/**
 * How a model stretches its rotary position frequencies beyond the context it was trained on. Only the kinds
 * the supported checkpoints use are here; anything else is refused at load.
 */
public sealed interface RopeScaling {

    /** Adjusts the plain inverse frequencies {@code 1 / theta^(2i / d)} in place. */
    void apply(double[] inverseFrequencies);

    /** {@code rope_scaling: null} or {@code rope_type: "default"}. */
    record None() implements RopeScaling {
        @Override
        public void apply(double[] inverseFrequencies) {
        }
    }

    /** Position interpolation: every frequency divided by {@code factor}. */
    record Linear(double factor) implements RopeScaling {
        public Linear {
            if (!(factor >= 1)) {
                throw new IllegalArgumentException("linear rope factor must be >= 1, was " + factor);
            }
        }

        @Override
        public void apply(double[] inverseFrequencies) {
            for (int i = 0; i < inverseFrequencies.length; i++) {
                inverseFrequencies[i] /= factor;
            }
        }
    }

    /**
     * Llama 3.1's scheme: wavelengths shorter than {@code originalContext / highFreqFactor} are kept, those longer
     * than {@code originalContext / lowFreqFactor} are divided by {@code factor}, and the band between is blended
     * linearly in {@code originalContext / wavelength} (Meta's Llama 3.1 reference code and transformers'
     * {@code _compute_llama3_parameters} agree on this).
     */
    record Llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalContext)
            implements RopeScaling {
        public Llama3 {
            if (!(factor >= 1) || !(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor) || originalContext <= 0) {
                throw new IllegalArgumentException("invalid llama3 rope scaling: factor=" + factor + " low="
                        + lowFreqFactor + " high=" + highFreqFactor + " original=" + originalContext);
            }
        }

        @Override
        public void apply(double[] inverseFrequencies) {
            double lowFreqWavelen = originalContext / lowFreqFactor;
            double highFreqWavelen = originalContext / highFreqFactor;
            for (int i = 0; i < inverseFrequencies.length; i++) {
                double f = inverseFrequencies[i];
                double wavelen = 2 * Math.PI / f;
                if (wavelen < highFreqWavelen) {
                    continue;
                }
                if (wavelen > lowFreqWavelen) {
                    inverseFrequencies[i] = f / factor;
                } else {
                    double smooth = (originalContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                    inverseFrequencies[i] = (1 - smooth) * f / factor + smooth * f;
                }
            }
        }
    }
}
