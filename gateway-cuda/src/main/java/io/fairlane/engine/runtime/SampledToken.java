package io.fairlane.engine.runtime;

import io.fairlane.engine.TokenEvent;

/**
 * A sampled token.
 *
 * @param tokenId the id
 * @param logprob its log probability and alternatives, or null when the request did not ask for them
 */
record SampledToken(int tokenId, TokenEvent.TokenLogprob logprob) {
}
