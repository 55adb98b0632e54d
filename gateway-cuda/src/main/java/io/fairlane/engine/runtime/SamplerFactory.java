package io.fairlane.engine.runtime;

import io.fairlane.engine.SamplingParams;

/** Makes one sampler per choice. */
@FunctionalInterface
interface SamplerFactory {

    /**
     * A sampler for choice {@code choice} of a request. With a seed, the same (params, choice) must always
     * give the same tokens for the same logits, whatever else shares the batch; choices of one request must
     * differ.
     */
    ChoiceSampler create(SamplingParams params, int choice);

    /** Chooses the next token of one choice. Confined to the engine loop thread. */
    @FunctionalInterface
    interface ChoiceSampler {

        /**
         * @param logits  the model's logits for the next position (may be modified in place)
         * @param history the choice's tokens so far (prompt then output), for penalties
         * @param promptLength how many of {@code history} are prompt
         */
        SampledToken sample(float[] logits, int[] history, int promptLength);
    }
}
