package io.fairlane.scheduler.sim;

/**
 * The simulated engine: an iteration costs {@code alpha + beta·prefill tokens + delta·batch size} seconds.
 *
 * @param kvTokens       tokens the running batch may hold (input + output of every running request)
 * @param maxBatch       most running requests
 * @param prefillBudget  most uncached input tokens admitted in one step (the first admission always fits)
 * @param alpha          fixed cost of a step, seconds
 * @param beta           cost per prefilled token, seconds
 * @param delta          cost per request in the batch, seconds
 * @param cacheTokens    prefix cache size in tokens (0: no prefix cache)
 * @param chunkedPrefill whether prompts are prefilled in chunks of at most {@code prefillBudget} tokens per step, as
 *                       the engine does (admission while budget is left, running prefills first); otherwise a
 *                       request's whole input is prefilled in the step that admits it, the papers' model
 */
record EngineModel(long kvTokens, int maxBatch, int prefillBudget, double alpha, double beta, double delta,
                   long cacheTokens, boolean chunkedPrefill) {

    /** A 7B-class model on one mid-range GPU, close to the setting of the VTC paper's experiments. */
    static EngineModel typical() {
        return new EngineModel(12_000, 64, 4096, 0.012, 0.00006, 0.0003, 0, false);
    }

    EngineModel withCache(long tokens) {
        return new EngineModel(kvTokens, maxBatch, prefillBudget, alpha, beta, delta, tokens, chunkedPrefill);
    }

    /** {@code slots} running sequences and prompts prefilled in chunks of at most {@code budget} tokens per step. */
    EngineModel withChunkedPrefill(int slots, int budget) {
        return new EngineModel(kvTokens, slots, budget, alpha, beta, delta, cacheTokens, true);
    }

    double stepSeconds(long prefillTokens, int batchSize) {
        return alpha + beta * prefillTokens + delta * batchSize;
    }
}
