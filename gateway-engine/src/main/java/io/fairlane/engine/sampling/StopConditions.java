package io.fairlane.engine.sampling;

import io.fairlane.engine.FinishReason;
import io.fairlane.engine.SamplingParams;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The token-level reasons a choice ends: one of the model's EOS ids (unless {@code ignore_eos}), {@code max_tokens},
 * or the context length. Stop strings are text-level and live in {@link StopMatcher}.
 */
public final class StopConditions {

    private final Set<Integer> eosTokenIds;
    private final boolean ignoreEos;
    private final int maxTokens;
    private final int maxPositions;

    /**
     * @param eosTokenIds  the model's EOS ids (generation_config.json)
     * @param params       the request's sampling parameters
     * @param maxPositions the model's context length
     */
    public StopConditions(Collection<Integer> eosTokenIds, SamplingParams params, int maxPositions) {
        Objects.requireNonNull(params, "params");
        this.eosTokenIds = Set.copyOf(Objects.requireNonNull(eosTokenIds, "eosTokenIds"));
        this.ignoreEos = params.ignoreEos();
        this.maxTokens = params.maxTokens();
        if (maxPositions <= 0) {
            throw new IllegalArgumentException("maxPositions must be positive, was " + maxPositions);
        }
        this.maxPositions = maxPositions;
    }

    /**
     * Whether the choice ends with {@code tokenId}, its {@code generated}-th output token (counting it), in a
     * sequence now {@code positions} long (prompt plus output). EOS comes first: an EOS that is also the last
     * allowed token finishes as {@code stop}.
     */
    public Optional<FinishReason> check(int tokenId, int generated, int positions) {
        if (!ignoreEos && eosTokenIds.contains(tokenId)) {
            return Optional.of(FinishReason.STOP);
        }
        if (generated >= maxTokens || positions >= maxPositions) {
            return Optional.of(FinishReason.LENGTH);
        }
        return Optional.empty();
    }

    /** Whether {@code tokenId} is an EOS id that ends generation (its text is not emitted). */
    public boolean isEos(int tokenId) {
        return !ignoreEos && eosTokenIds.contains(tokenId);
    }
}
