package io.fairlane.engine.sampling;

/**
 * A counter-based random source: every uniform is a pure function of (seed, counter, token id), built from
 * SplitMix64's finaliser (Steele, Lea and Flood, OOPSLA 2014). Nothing is carried from draw to draw, so a
 * sequence's draws never depend on which other sequences share a batch or on the order they are sampled in,
 * and the CUDA kernel (sampling.cu, {@code fl_uniform}) computes bit-for-bit the same values.
 */
public final class CounterRng {

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final long TOKEN_MULTIPLIER = 0xD1B54A32D192ED03L;

    private CounterRng() {
    }

    /** SplitMix64's 64-bit finaliser. */
    public static long mix64(long z) {
        z ^= z >>> 30;
        z *= 0xBF58476D1CE4E5B9L;
        z ^= z >>> 27;
        z *= 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return z;
    }

    /**
     * A float in (0, 1) for token {@code token} at draw {@code counter} of stream {@code seed}: the top 24 bits
     * of the hash, centred in their interval so neither 0 nor 1 occurs.
     */
    public static float uniform(long seed, long counter, int token) {
        long h = mix64(mix64(seed ^ (counter * GOLDEN)) + (token & 0xffffffffL) * TOKEN_MULTIPLIER);
        return ((float) (h >>> 40) + 0.5f) * (1.0f / 16777216.0f);
    }

    /**
     * The stream seed of choice {@code choice} of a request seeded with {@code requestSeed}. Choice 0 uses the
     * request seed itself, so {@code n=1} requests draw from the seed the client gave.
     */
    public static long choiceSeed(long requestSeed, int choice) {
        return choice == 0 ? requestSeed : mix64(requestSeed + choice * GOLDEN);
    }
}
