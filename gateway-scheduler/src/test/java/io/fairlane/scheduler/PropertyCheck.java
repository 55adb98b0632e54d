package io.fairlane.scheduler;

import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A minimal property-test runner: calls a property with many seeded random sources and, when one try
 * fails, reports the seed that reproduces it. Run a single failing case again with
 * {@code -Dfairlane.property.seed=<seed> -Dfairlane.property.tries=1}.
 *
 * <p>Written here rather than taken from jqwik because jqwik 1.10's maintainers ask AI coding agents not
 * to use it; seeded generation and a reproducible seed are all these properties need.
 */
final class PropertyCheck {

    private static final long DEFAULT_SEED = 0x5EED_F00DL;

    private PropertyCheck() {
    }

    /** Runs {@code property} {@code tries} times (or as many as {@code fairlane.property.tries} says). */
    static void forAll(int tries, Consumer<SplittableRandom> property) {
        long base = Long.getLong("fairlane.property.seed", DEFAULT_SEED);
        int n = Integer.getInteger("fairlane.property.tries", tries);
        for (int i = 0; i < n; i++) {
            long seed = base + i * 0x9E37_79B9_7F4A_7C15L;
            try {
                property.accept(new SplittableRandom(seed));
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("property falsified at try " + i + " of " + n + "; reproduce with "
                        + "-Dfairlane.property.seed=" + seed + " -Dfairlane.property.tries=1: " + e.getMessage(), e);
            }
        }
    }
}
