package io.fairlane.engine.cuda;

import java.util.Random;

/**
 * Plain double-precision references for the kernels, written from the definitions (transformers' modelling
 * code and the formulas in the kernel comments), not from the kernels: the kernel tests compare against these.
 */
final class Reference {

    private Reference() {
    }

    /** Random values in [-scale, scale], already representable in bf16 (so inputs are exact on both sides). */
    static float[] randomBf16(Random rnd, int n, float scale) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = Bf16.round((rnd.nextFloat() * 2 - 1) * scale);
        }
        return out;
    }

    static float[] rmsnorm(float[] x, int offset, int n, float[] weight, double eps) {
        double ss = 0;
        for (int i = 0; i < n; i++) {
            ss += (double) x[offset + i] * x[offset + i];
        }
        double inv = 1.0 / Math.sqrt(ss / n + eps);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (x[offset + i] * inv * weight[i]);
        }
        return out;
    }

    /** Rotates pairs of v (length d) in place by position * invFreq[i]. */
    static void rope(double[] v, int position, float[] invFreq, boolean interleaved) {
        int half = v.length / 2;
        for (int i = 0; i < half; i++) {
            int a = interleaved ? 2 * i : i;
            int b = interleaved ? 2 * i + 1 : i + half;
            // the angle in f32, as transformers computes it (inv_freq @ position in float32)
            float angle = (float) position * invFreq[i];
            double c = Math.cos(angle);
            double s = Math.sin(angle);
            double xa = v[a];
            double xb = v[b];
            v[a] = xa * c - xb * s;
            v[b] = xb * c + xa * s;
        }
    }

    static float[] ropeFrequencies(int headDim, double theta) {
        float[] f = new float[headDim / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) (1.0 / Math.pow(theta, 2.0 * i / headDim));
        }
        return f;
    }

    /**
     * Softmax attention of one query over keys [0, visibleEnd) with an optional window, scores scaled.
     *
     * @param keys   [ctx][d] for the query's kv head
     * @param values [ctx][d]
     */
    static double[] attend(double[] q, double[][] keys, double[][] values, int visibleEnd, int window, double scale) {
        int d = q.length;
        int lo = window > 0 ? Math.max(0, visibleEnd - window) : 0;
        double max = Double.NEGATIVE_INFINITY;
        double[] s = new double[visibleEnd];
        for (int t = lo; t < visibleEnd; t++) {
            double dot = 0;
            for (int e = 0; e < d; e++) {
                dot += q[e] * keys[t][e];
            }
            s[t] = dot * scale;
            max = Math.max(max, s[t]);
        }
        double sum = 0;
        double[] out = new double[d];
        for (int t = lo; t < visibleEnd; t++) {
            double p = Math.exp(s[t] - max);
            sum += p;
            for (int e = 0; e < d; e++) {
                out[e] += p * values[t][e];
            }
        }
        for (int e = 0; e < d; e++) {
            out[e] /= sum;
        }
        return out;
    }

    static double silu(double g) {
        return g / (1 + Math.exp(-g));
    }

    /** y[m][n] = sum_k x[m][k] w[n][k]. */
    static double[] matmulTransposedB(float[] x, float[] w, int m, int n, int k) {
        double[] y = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int e = 0; e < k; e++) {
                    acc += (double) x[i * k + e] * w[j * k + e];
                }
                y[i * n + j] = acc;
            }
        }
        return y;
    }

    /** Asserts |got - want| <= atol + rtol * |want| elementwise, naming the first offender; NaN never passes. */
    static void assertClose(String what, float[] got, double[] want, double atol, double rtol) {
        if (got.length != want.length) {
            throw new AssertionError(what + ": length " + got.length + " != " + want.length);
        }
        for (int i = 0; i < got.length; i++) {
            double err = Math.abs(got[i] - want[i]);
            if (!(err <= atol + rtol * Math.abs(want[i]))) {
                throw new AssertionError(what + ": element " + i + " is " + got[i] + ", expected " + want[i]
                        + " (tolerance " + atol + " + " + rtol + " relative)");
            }
        }
    }

    static void assertClose(String what, float[] got, float[] want, double atol, double rtol) {
        double[] w = new double[want.length];
        for (int i = 0; i < want.length; i++) {
            w[i] = want[i];
        }
        assertClose(what, got, w, atol, rtol);
    }
}
