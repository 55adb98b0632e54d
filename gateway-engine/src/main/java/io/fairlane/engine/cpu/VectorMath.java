package io.fairlane.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise math of the CPU forward pass, a vector at a time: RMSNorm, residual adds, the exponential, softmax
 * and the SwiGLU activation.
 *
 * <p>Why its own exponential: {@code Math.exp} is a scalar call of about 20 cycles, which at batch 16 made the
 * SwiGLU activation (batch × intermediate size per layer) and the attention softmax a tenth of a decode step. The
 * Vector API's {@code EXP} operator is fast where the JIT maps it to a vector math library, but its result may
 * differ between that library and the scalar fallback the interpreter runs, so a token's logits could depend on
 * when the JIT compiled the code. This one is built only from lane-wise float and int operations (fused
 * multiply-add, add, multiply, shifts, compares) whose results Java specifies exactly, so it gives the same bits
 * in every tier and on every CPU with the same vector width, and each lane depends only on its own input.
 *
 * <p>Method: {@code n = round(x·log2 e)} by adding {@code 1.5·2^23} (the float's own rounding does it), a
 * two-part {@code ln 2} reduction {@code r = x − n·ln 2} with {@code |r| ≤ ln 2 / 2}, {@code e^r} by its Taylor
 * series to degree 7 (truncation error below 1e-8, under half an ulp), then {@code 2^n} built in the exponent
 * field. Within 1 ulp of {@code Math.exp} for {@code x} in [−87.3, 88.3] (the correctly rounded float for 94 % of
 * inputs); 0 below (where the true value is subnormal), +∞ above, NaN for NaN.
 */
final class VectorMath {

    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final int L = F.length();

    private static final float LOG2E = 1.44269504f;
    /** 1.5 · 2^23: adding it rounds a float of magnitude below 2^22 to an integer in its low mantissa bits. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    /** ln 2 split so that {@code n · LN2_HI} is exact for the n that occur (9 significant bits). */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** Smallest x whose exponential is a normal float (2^-126). */
    private static final float MIN_X = -87.33654f;
    /** Largest x with n ≤ 127. */
    private static final float MAX_X = 88.37626f;

    private VectorMath() {
    }

    /** {@code e^x} lane by lane. */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(MIN_X).min(MAX_X);
        FloatVector t = xc.fma(LOG2E, ROUNDER);
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = n.fma(c(-LN2_HI), xc);
        r = n.fma(c(-LN2_LO), r);
        FloatVector p = c(1f / 5040);
        p = p.fma(r, c(1f / 720));
        p = p.fma(r, c(1f / 120));
        p = p.fma(r, c(1f / 24));
        p = p.fma(r, c(1f / 6));
        p = p.fma(r, c(0.5f));
        p = p.fma(r, c(1f));
        p = p.fma(r, c(1f));
        IntVector bits = ((IntVector) t.reinterpretAsInts()).sub(ROUNDER_BITS - 127).lanewise(VectorOperators.LSHL, 23);
        FloatVector y = p.mul(bits.reinterpretAsFloats());
        y = y.blend(0f, x.lt(MIN_X));
        y = y.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, MAX_X));
        return y.blend(x, x.test(VectorOperators.IS_NAN));
    }

    private static FloatVector c(float v) {
        return FloatVector.broadcast(F, v);
    }

    /**
     * {@code s[j] = e^(s[j] − max) / Σ e^(s[i] − max)} for j in [0, n), {@code max} the largest of them. The sum
     * is one vector accumulator over the positions in order, its lanes folded by {@link VectorKernels#sumLanes}.
     * {@code s} must hold {@link #padded}{@code (n)} elements: the ones past n are overwritten (with 0).
     */
    static void softmax(float[] s, int n) {
        int end = padded(n);
        java.util.Arrays.fill(s, n, end, Float.NEGATIVE_INFINITY);
        FloatVector mv = FloatVector.fromArray(F, s, 0);
        for (int j = L; j < end; j += L) {
            mv = mv.max(FloatVector.fromArray(F, s, j));
        }
        float max = mv.reduceLanes(VectorOperators.MAX);
        FloatVector sum = FloatVector.zero(F);
        for (int j = 0; j < end; j += L) {
            FloatVector e = exp(FloatVector.fromArray(F, s, j).sub(max));
            e.intoArray(s, j);
            sum = sum.add(e);
        }
        float inv = 1 / VectorKernels.sumLanes(sum);
        for (int j = 0; j < end; j += L) {
            FloatVector.fromArray(F, s, j).mul(inv).intoArray(s, j);
        }
    }

    /** n rounded up to whole vectors. */
    static int padded(int n) {
        return (n + L - 1) / L * L;
    }

    /** {@code gate[i] = silu(gate[i]) · up[i] = gate[i] / (1 + e^−gate[i]) · up[i]} for i in [from, to). */
    static void swiGlu(float[] gate, float[] up, int from, int to) {
        int i = from;
        for (; i + L <= to; i += L) {
            swiGlu(FloatVector.fromArray(F, gate, i), FloatVector.fromArray(F, up, i)).intoArray(gate, i);
        }
        if (i < to) {
            VectorMask<Float> m = F.indexInRange(i, to);
            swiGlu(FloatVector.fromArray(F, gate, i, m), FloatVector.fromArray(F, up, i, m)).intoArray(gate, i, m);
        }
    }

    private static FloatVector swiGlu(FloatVector g, FloatVector u) {
        return g.div(exp(g.neg()).add(1f)).mul(u);
    }

    /**
     * {@code out[oo + i] = in[io + i] / rms · w[i]} for i in [0, n), where {@code rms = sqrt(mean(in²) + eps)}. The sum
     * of squares is one vector accumulator over the elements in order, lanes folded by {@link VectorKernels#sumLanes},
     * then the tail; {@code in} and {@code out} may be the same row.
     */
    static void rmsNorm(float[] in, int io, float[] w, float[] out, int oo, int n, float eps) {
        int bound = F.loopBound(n);
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(F, in, io + i);
            acc = v.fma(v, acc);
        }
        float ss = VectorKernels.sumLanes(acc);
        for (int i = bound; i < n; i++) {
            ss = Math.fma(in[io + i], in[io + i], ss);
        }
        float inv = (float) (1.0 / Math.sqrt((double) ss / n + eps));
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromArray(F, in, io + i).mul(inv).mul(FloatVector.fromArray(F, w, i)).intoArray(out, oo + i);
        }
        for (; i < n; i++) {
            out[oo + i] = in[io + i] * inv * w[i];
        }
    }

    /** {@code x[i] += d[i]} for i in [0, n), or {@code x[i] += d[i] + bias[i % width]} with a bias. */
    static void addInPlace(float[] x, float[] d, float[] bias, int n) {
        if (bias != null) {
            for (int o = 0; o < n; o += bias.length) {
                for (int i = 0; i < bias.length; i++) {
                    d[o + i] += bias[i];
                }
            }
        }
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromArray(F, x, i).add(FloatVector.fromArray(F, d, i)).intoArray(x, i);
        }
        for (; i < n; i++) {
            x[i] += d[i];
        }
    }
}
