package io.fairlane.engine.cuda;

/**
 * The sampling algorithm of sampling.cu, written out sequentially in Java: the tests check that the kernel
 * draws exactly what this draws for the same logits, parameters, seed and counter.
 */
final class ReferenceSampler {

    private ReferenceSampler() {
    }

    static long mix64(long z) {
        z ^= z >>> 30;
        z *= 0xBF58476D1CE4E5B9L;
        z ^= z >>> 27;
        z *= 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return z;
    }

    /** fl_uniform: a float in (0, 1) from (seed, counter, token). */
    static float uniform(long seed, long counter, int token) {
        long h = mix64(mix64(seed ^ (counter * 0x9E3779B97F4A7C15L)) + (token & 0xffffffffL) * 0xD1B54A32D192ED03L);
        return ((float) (h >>> 40) + 0.5f) * (1.0f / 16777216.0f);
    }

    static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    static int sample(float[] x, float temperature, int topK, float topP, float minP, long seed, long counter) {
        int best = argmax(x);
        if (temperature <= 0) {
            return best;
        }
        float invT = 1.0f / temperature;
        float zmax = x[best] * invT;
        float[] z = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            z[i] = x[i] * invT;
        }
        float lo = Float.NEGATIVE_INFINITY;
        if (topK > 0 && topK < x.length) {
            float[] sorted = z.clone();
            java.util.Arrays.sort(sorted);
            lo = sorted[sorted.length - topK];
        }
        if (topP < 1.0f) {
            // keep tokens whose strictly-larger mass is below topP of the (top-k filtered) total
            double total = 0;
            for (float v : z) {
                if (v >= lo) {
                    total += Math.exp(v - zmax);
                }
            }
            Integer[] order = new Integer[z.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            final float lo0 = lo;
            java.util.Arrays.sort(order, (a, b) -> Float.compare(z[b], z[a]));
            double above = 0;
            float threshold = lo0;
            for (int idx = 0; idx < order.length; ) {
                float v = z[order[idx]];
                if (v < lo0) {
                    break;
                }
                if (above >= topP * total) {
                    break;
                }
                threshold = v;
                double group = 0;
                while (idx < order.length && z[order[idx]] == v) {
                    group += Math.exp(v - zmax);
                    idx++;
                }
                above += group;
            }
            lo = Math.max(lo, threshold);
        }
        if (minP > 0) {
            lo = Math.max(lo, zmax + (float) Math.log(minP));
        }
        float race = Float.NEGATIVE_INFINITY;
        int raceI = best;
        for (int i = 0; i < z.length; i++) {
            if (!(z[i] >= lo)) {
                continue;
            }
            float u = uniform(seed, counter, i);
            float key = z[i] - (float) Math.log(-(float) Math.log(u));
            if (key > race) {
                race = key;
                raceI = i;
            }
        }
        return raceI;
    }
}
