package io.fairlane.scheduler;

/**
 * Tells a locality-aware policy how many leading input tokens of a piece of work are already cached.
 * The engine implements this over its KV block pool. Called under the scheduler's lock: it must be cheap
 * and must not call back into the scheduler.
 *
 * @param <W> the work type
 */
@FunctionalInterface
public interface PrefixMatcher<W> {

    /** Tokens of {@code work}'s input found in the cache right now; 0 when none. */
    int cachedPrefixTokens(W work);

    static <W> PrefixMatcher<W> none() {
        return w -> 0;
    }
}
