package io.fairlane.engine.kv;

import java.util.Random;

/**
 * Runs a randomised check many times, each from its own seed, and names the seed of any failure so it can be
 * replayed alone. The base seed is fixed (runs are reproducible); {@code -Dfairlane.test.seed=N} explores
 * another region. A small stand-in for a property-testing library: no shrinking, so checks print the inputs
 * they failed on.
 */
public final class SeededRuns {

    private static final long BASE = Long.getLong("fairlane.test.seed", 0x5EED_F00DL);

    private SeededRuns() {
    }

    @FunctionalInterface
    public interface Check {
        void run(Random random) throws Exception;
    }

    public static void forEachSeed(int runs, Check check) {
        for (int i = 0; i < runs; i++) {
            long seed = BASE + i * 0x9E3779B97F4A7C15L;
            try {
                check.run(new Random(seed));
            } catch (AssertionError | Exception e) {
                throw new AssertionError("failed for seed " + seed + " (run " + i + "): " + e.getMessage(), e);
            }
        }
    }

    public static int between(Random random, int min, int max) {
        return min + random.nextInt(max - min + 1);
    }
}
