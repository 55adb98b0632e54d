/**
 * Choosing tokens and deciding when to stop: {@link io.fairlane.engine.sampling.Sampler} (greedy, temperature,
 * top-k, top-p, min-p, logprobs), the per-choice {@link io.fairlane.engine.sampling.SamplingState} (seed and
 * counter of the counter-based {@link io.fairlane.engine.sampling.CounterRng}, output-token counts for presence
 * and frequency penalties, logit bias), {@link io.fairlane.engine.sampling.StopMatcher} for stop strings across
 * token boundaries and {@link io.fairlane.engine.sampling.StopConditions} for EOS ids and max tokens; and
 * constrained decoding for forced tool calls and JSON mode: {@link io.fairlane.engine.sampling.TokenConstraint}
 * walks a {@link io.fairlane.engine.sampling.ByteAutomaton} over the token bytes of a
 * {@link io.fairlane.engine.sampling.ConstraintVocabulary} to mask what may not come next.
 *
 * <p>Constrained decoding: {@link io.fairlane.engine.sampling.TokenConstraint} masks what an
 * {@link io.fairlane.engine.OutputConstraint} forbids, through the fixed JSON automaton or a JSON-Schema grammar
 * ({@code io.fairlane.engine.grammar}); {@link io.fairlane.engine.sampling.ReasoningTracker} holds a constraint back
 * while a thinking model is inside its {@code <think>} block and tells reasoning tokens apart.
 *
 * <p>The sampler is the same algorithm the CUDA backend runs on the device (sampling.cu): an exponential race
 * whose uniforms are a hash of (seed, counter, token id), so a seeded request draws the same tokens whatever
 * else shares its batch, and on either backend up to float rounding of the logits. Constrained choices are
 * sampled on the host on both backends (the CUDA backend returns their logits rows), since the automaton is here.
 */
package io.fairlane.engine.sampling;
