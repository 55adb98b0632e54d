package io.fairlane.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VectorMathTest {

    private static final int L = VectorKernels.L;

    private static float exp(float x) {
        return VectorMath.exp(FloatVector.broadcast(VectorKernels.F, x)).lane(0);
    }

    @Test
    void exp_acrossItsNormalRange_staysWithin1UlpOfMathExp() {
        double worst = 0;
        for (float x = -87.3f; x <= 88.3f; x += 0.0037f) {
            double want = Math.exp(x);
            worst = Math.max(worst, Math.abs(exp(x) - want) / Math.ulp((float) want));
        }
        assertThat(worst).isLessThanOrEqualTo(1);
    }

    @Test
    void exp_zeroIsExactlyOne() {
        assertThat(exp(0f)).isEqualTo(1f);
        assertThat(exp(-0f)).isEqualTo(1f);
    }

    @Test
    void exp_pastItsRange_givesZeroInfinityAndNaN() {
        assertThat(exp(-100f)).isEqualTo(0f);
        assertThat(exp(Float.NEGATIVE_INFINITY)).isEqualTo(0f);
        assertThat(exp(100f)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(exp(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(exp(Float.NaN)).isNaN();
    }

    @Test
    void softmax_matchesDoublePrecisionWithin1e6AndIgnoresThePadding() {
        int n = 3 * L + 5;
        float[] s = new float[VectorMath.padded(n)];
        SplittableRandom rnd = new SplittableRandom(1);
        double[] want = new double[n];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < s.length; j++) {
            s[j] = (float) (rnd.nextGaussian() * 4);
            if (j < n) {
                want[j] = s[j];
                max = Math.max(max, s[j]);
            }
        }
        double sum = 0;
        for (int j = 0; j < n; j++) {
            want[j] = Math.exp(want[j] - max);
            sum += want[j];
        }
        VectorMath.softmax(s, n);
        for (int j = 0; j < n; j++) {
            assertThat(s[j]).as("position %d", j).isCloseTo((float) (want[j] / sum), org.assertj.core.data.Offset.offset(1e-6f));
        }
    }

    @Test
    void swiGlu_elementInAVectorOrInTheTail_isTheSameBits() {
        int n = 5 * L + 3;
        SplittableRandom rnd = new SplittableRandom(2);
        float[] gate = new float[n];
        float[] up = new float[n];
        for (int i = 0; i < n; i++) {
            gate[i] = (float) (rnd.nextGaussian() * 6);
            up[i] = (float) rnd.nextGaussian();
        }
        float[] whole = gate.clone();
        VectorMath.swiGlu(whole, up, 0, n);
        // The same elements at other offsets from the range start: each lands in a different lane or in the tail.
        for (int shift = 1; shift < L; shift += 3) {
            float[] part = gate.clone();
            VectorMath.swiGlu(part, up, 0, shift);
            VectorMath.swiGlu(part, up, shift, n);
            assertThat(part).as("split at %d", shift).containsExactly(whole);
        }
    }

    @Test
    void swiGlu_matchesTheDefinitionWithin4Ulp() {
        float[] gate = {-30f, -3.5f, -0.25f, 0f, 0.5f, 2f, 9f, 40f};
        float[] up = {1.5f, -2f, 3f, 1f, 0.75f, -1f, 2f, 0.5f};
        float[] got = gate.clone();
        VectorMath.swiGlu(got, up, 0, gate.length);
        for (int i = 0; i < gate.length; i++) {
            double want = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
            assertThat(Math.abs(got[i] - want)).as("gate %s", gate[i]).isLessThanOrEqualTo(4 * Math.ulp((float) want));
        }
    }

    @Test
    void rmsNorm_matchesDoublePrecisionWithin1e5AndInPlaceGivesTheSameBits() {
        int n = 4 * L + 3;
        SplittableRandom rnd = new SplittableRandom(3);
        float[] in = new float[n + 7];
        float[] w = new float[n];
        for (int i = 0; i < in.length; i++) {
            in[i] = (float) (rnd.nextGaussian() * 3);
        }
        for (int i = 0; i < n; i++) {
            w[i] = (float) (1 + rnd.nextGaussian() * 0.1);
        }
        int off = 7;
        double ss = 0;
        for (int i = 0; i < n; i++) {
            ss += (double) in[off + i] * in[off + i];
        }
        double inv = 1 / Math.sqrt(ss / n + 1e-6);
        float[] out = new float[n];
        VectorMath.rmsNorm(in, off, w, out, 0, n, 1e-6f);
        for (int i = 0; i < n; i++) {
            assertThat((double) out[i]).as("element %d", i)
                    .isCloseTo(in[off + i] * inv * w[i], org.assertj.core.data.Offset.offset(1e-5));
        }
        float[] same = in.clone();
        VectorMath.rmsNorm(same, off, w, same, off, n, 1e-6f);
        assertThat(java.util.Arrays.copyOfRange(same, off, off + n)).containsExactly(out);
    }

    @Test
    void addInPlace_withABias_addsItToEveryRowAndTheTail() {
        int width = 2 * L + 3;
        int rows = 3;
        float[] bias = new float[width];
        float[] x = new float[rows * width];
        float[] d = new float[rows * width];
        for (int i = 0; i < width; i++) {
            bias[i] = i * 0.5f;
        }
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
            d[i] = -2f * i;
        }
        VectorMath.addInPlace(x, d, bias, x.length);
        for (int i = 0; i < x.length; i++) {
            assertThat(x[i]).as("element %d", i).isEqualTo(i + (-2f * i + (i % width) * 0.5f));
        }
        float[] y = {1f, 2f, 3f};
        VectorMath.addInPlace(y, new float[] {0.5f, 0.25f, -3f}, null, 3);
        assertThat(y).containsExactly(1.5f, 2.25f, 0f);
    }
}
