package io.fairlane.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.engine.SamplingParams;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class SamplerTest {

    static SamplingParams params(double temperature, double topP, int topK, double minP) {
        return new SamplingParams(temperature, topP, topK, minP, OptionalLong.of(1), 0, 0, Map.of(), false, 0, 100,
                List.of(), false);
    }

    static float[] logits(float... v) {
        return v.clone();
    }

    /** Draw frequencies of each token over {@code draws} counters. */
    static double[] frequencies(float[] x, SamplingParams p, int draws) {
        double[] f = new double[x.length];
        SamplingState s = SamplingState.of(p, 99L, 0);
        for (int i = 0; i < draws; i++) {
            f[Sampler.sample(x.clone(), s).tokenId()] += 1.0 / draws;
            s.accept(0);
        }
        return f;
    }

    @Test
    void greedy_picksLargestLogit() {
        SamplingState s = SamplingState.of(SamplingParams.greedy(5), 0L, 0);
        assertThat(Sampler.sample(logits(0.1f, 3f, -1f, 2.9f), s).tokenId()).isEqualTo(1);
    }

    @Test
    void greedy_tie_picksLowestId() {
        SamplingState s = SamplingState.of(SamplingParams.greedy(5), 0L, 0);
        assertThat(Sampler.sample(logits(1f, 4f, 4f, 0f), s).tokenId()).isEqualTo(1);
    }

    @Test
    void temperature_drawFrequenciesFollowSoftmax() {
        float[] x = logits(1f, 2f, 0f, 1.5f);
        double[] f = frequencies(x, params(1, 1, 0, 0), 40_000);
        double z = Math.exp(1) + Math.exp(2) + Math.exp(0) + Math.exp(1.5);
        assertThat(f[1]).isCloseTo(Math.exp(2) / z, Offset.offset(0.01));
        assertThat(f[2]).isCloseTo(1 / z, Offset.offset(0.01));
    }

    @Test
    void lowTemperature_sharpensTowardsTheMaximum() {
        double[] f = frequencies(logits(1f, 2f, 0f, 1.5f), params(0.1, 1, 0, 0), 2_000);
        assertThat(f[1]).isGreaterThan(0.99);
    }

    @Test
    void topK_neverDrawsOutsideTheKLargest() {
        double[] f = frequencies(logits(1f, 2f, 0f, 1.5f, 1.9f), params(5, 1, 2, 0), 5_000);
        assertThat(f[0] + f[2] + f[3]).isZero();
    }

    @Test
    void topK_keepsTiesAtTheBoundary() {
        double[] f = frequencies(logits(3f, 1f, 1f, 0f), params(5, 1, 2, 0), 5_000);
        assertThat(f[1]).isGreaterThan(0);
        assertThat(f[2]).isGreaterThan(0);
    }

    @Test
    void topP_keepsTheSmallestSetReachingP() {
        // probabilities ≈ 0.64, 0.24, 0.09, 0.03: top_p 0.8 keeps the first two only.
        float[] x = logits(3f, 2f, 1f, 0f);
        double[] f = frequencies(x, params(1, 0.8, 0, 0), 5_000);
        assertThat(f[2] + f[3]).isZero();
        assertThat(f[1]).isGreaterThan(0.2);
    }

    @Test
    void topP_threshold_matchesASortedWalk() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
        float[] x = new float[5000];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * 2);
        }
        float zmax = x[Sampler.argmax(x)];
        float threshold = Sampler.topPThreshold(x, 1, zmax, Float.NEGATIVE_INFINITY, 0.7f);
        float[] sorted = x.clone();
        java.util.Arrays.sort(sorted);
        double total = 0;
        for (float v : x) {
            total += Math.exp(v - zmax);
        }
        double above = 0;
        float expected = sorted[sorted.length - 1];
        for (int i = sorted.length - 1; i >= 0; i--) {
            if (above >= 0.7 * total) {
                break;
            }
            expected = sorted[i];
            above += Math.exp(sorted[i] - zmax);
        }
        assertThat(threshold).isEqualTo(expected);
    }

    @Test
    void minP_dropsTokensBelowTheFractionOfTheMostLikely() {
        // p(2) / p(0) = e^-3 ≈ 0.05 < 0.1: dropped; p(1) / p(0) = e^-1 ≈ 0.37: kept.
        double[] f = frequencies(logits(3f, 2f, 0f), params(1, 1, 0, 0.1), 5_000);
        assertThat(f[2]).isZero();
        assertThat(f[1]).isGreaterThan(0.1);
    }

    @Test
    void seed_sameSeedAndCounter_drawsTheSameToken() {
        float[] x = new float[1000];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i);
        }
        SamplingParams p = params(1, 1, 0, 0);
        int[] a = new int[20];
        int[] b = new int[20];
        SamplingState sa = SamplingState.of(p, 7L, 0);
        SamplingState sb = SamplingState.of(p, 7L, 0);
        for (int i = 0; i < 20; i++) {
            a[i] = Sampler.sample(x.clone(), sa).tokenId();
            sa.accept(a[i]);
            b[i] = Sampler.sample(x.clone(), sb).tokenId();
            sb.accept(b[i]);
        }
        assertThat(a).containsExactly(b);
    }

    @Test
    void seed_otherChoiceOfTheSameRequest_drawsDifferently() {
        float[] x = new float[1000];
        SamplingParams p = params(1, 1, 0, 0);
        SamplingState c0 = SamplingState.of(p, 7L, 0);
        SamplingState c1 = SamplingState.of(p, 7L, 1);
        int same = 0;
        for (int i = 0; i < 50; i++) {
            int a = Sampler.sample(x.clone(), c0).tokenId();
            int b = Sampler.sample(x.clone(), c1).tokenId();
            same += a == b ? 1 : 0;
            c0.accept(a);
            c1.accept(b);
        }
        assertThat(same).isLessThan(5);
    }

    @Test
    void uniform_staysInsideTheOpenInterval() {
        for (long c = 0; c < 10_000; c++) {
            float u = CounterRng.uniform(c * 31, c, (int) c);
            assertThat(u).isGreaterThan(0f).isLessThan(1f);
        }
    }

    @Test
    void uniform_isTheDocumentedHashOfSeedCounterAndToken() {
        // Spelled out independently of CounterRng so a change to the shared formula (which sampling.cu mirrors)
        // fails here.
        long seed = 123456789L;
        long counter = 5;
        int token = 42;
        long z = seed ^ (counter * 0x9E3779B97F4A7C15L);
        z = splitmix(z) + token * 0xD1B54A32D192ED03L;
        z = splitmix(z);
        float expected = ((float) (z >>> 40) + 0.5f) / 16777216.0f;
        assertThat(CounterRng.uniform(seed, counter, token)).isEqualTo(expected);
    }

    private static long splitmix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Test
    void presencePenalty_lowersEveryTokenAlreadyGeneratedOnce() {
        SamplingParams p = new SamplingParams(0, 1, 0, 0, OptionalLong.empty(), 1.5, 0, Map.of(), false, 0, 10,
                List.of(), false);
        SamplingState s = SamplingState.of(p, 0L, 0);
        s.accept(1);
        s.accept(1);
        // token 1 leads by 1.0 but pays 1.5 once, whatever its count.
        assertThat(Sampler.sample(logits(0f, 1f, 0.2f), s).tokenId()).isEqualTo(2);
    }

    @Test
    void frequencyPenalty_growsWithTheCount() {
        SamplingParams p = new SamplingParams(0, 1, 0, 0, OptionalLong.empty(), 0, 0.4, Map.of(), false, 0, 10,
                List.of(), false);
        SamplingState s = SamplingState.of(p, 0L, 0);
        s.accept(1);
        s.accept(1);
        s.accept(1);
        assertThat(s.adjustments().deltas()).containsExactly(-1.2f);
    }

    @Test
    void logitBias_canForceAToken() {
        SamplingParams p = new SamplingParams(0, 1, 0, 0, OptionalLong.empty(), 0, 0, Map.of(0, 100.0), false, 0, 10,
                List.of(), false);
        assertThat(Sampler.sample(logits(-5f, 3f, 2f), SamplingState.of(p, 0L, 0)).tokenId()).isZero();
    }

    @Test
    void logitBias_minus100_bansAToken() {
        SamplingParams p = new SamplingParams(1, 1, 0, 0, OptionalLong.of(3), 0, 0, Map.of(1, -100.0), false, 0, 10,
                List.of(), false);
        double[] f = frequencies(logits(0f, 3f, 0f), p, 2_000);
        assertThat(f[1]).isZero();
    }

    @Test
    void logprobs_areLogSoftmaxOfTheLogits() {
        SamplingParams p = new SamplingParams(0, 1, 0, 0, OptionalLong.empty(), 0, 0, Map.of(), true, 0, 10,
                List.of(), false);
        SampleResult r = Sampler.sample(logits(1f, 2f, 3f), SamplingState.of(p, 0L, 0));
        double z = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
        assertThat((double) r.logprob()).isCloseTo(3 - z, Offset.offset(1e-6));
    }

    @Test
    void topLogprobs_listTheMostLikelyFirstAndLowerIdOnTies() {
        SamplingParams p = new SamplingParams(0, 1, 0, 0, OptionalLong.empty(), 0, 0, Map.of(), true, 3, 10,
                List.of(), false);
        SampleResult r = Sampler.sample(logits(1f, 5f, 2f, 5f, 4f), SamplingState.of(p, 0L, 0));
        assertThat(r.topIds()).containsExactly(1, 3, 4);
    }

    @Test
    void logprobs_reflectLogitBiasButNotTemperature() {
        SamplingParams p = new SamplingParams(0.5, 1, 0, 0, OptionalLong.of(1), 0, 0, Map.of(0, 2.0), true, 0, 10,
                List.of(), false);
        SampleResult r = Sampler.sample(logits(1f, 3f), SamplingState.of(p, 0L, 0));
        double expected = r.tokenId() == 0 ? 3 - Math.log(2 * Math.exp(3)) : 3 - Math.log(2 * Math.exp(3));
        assertThat((double) r.logprob()).isCloseTo(expected, Offset.offset(1e-6));
    }

    @Test
    void noLogprobsAsked_returnsNone() {
        SampleResult r = Sampler.sample(logits(1f, 2f), SamplingState.of(SamplingParams.greedy(1), 0L, 0));
        assertThat(r.hasLogprob()).isFalse();
    }
}
