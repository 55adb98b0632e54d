package io.fairlane.engine.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CUDA forward pass on tiny random models of every supported family (Llama, with and without attention
 * biases and with interleaved RoPE, Qwen2, Qwen3, Mistral) against {@link TinyModel}'s double-precision and
 * bf16-faithful references, an oracle independent of the CPU backend: logits, greedy continuations, embeddings
 * (also longer than one step), and what only the runner has: three steps in flight on double-buffered staging,
 * and the device sampler's top log probabilities, batch-independent seeded draws and logit adjustments. Runs on
 * the emulator in every build ({@link EmulatedRunnerTest}) and on a GPU under the {@code gpu} tag
 * ({@link GpuRunnerTest}), which adds graph replay and cuBLAS.
 *
 * <p>What every backend must do through the {@code ExecutionBackend} seam — chunked prefill, prefix-cache hits,
 * batch mates, forks by block copy, device-side token feedback through {@code submit}, refused batches — is
 * checked once, for the CPU and CUDA backends alike, by gateway-engine's {@code BackendContract}.
 */
abstract class RunnerContract {

    static final int BLOCK = 16;
    static final int BLOCKS = 96;

    DeviceRuntime device;
    Arena arena;
    DeviceWeights weights;
    DeviceKvCache kv;
    Gemm gemm;
    CudaModelRunner runner;
    TinyModel model;
    private int nextBlock;

    abstract DeviceRuntime openDevice();

    /** Greedy tokens to compare against the reference (more on a GPU). */
    abstract int greedyTokens();

    boolean graphs() {
        return false;
    }

    void start(CudaModelSpec spec) {
        device = openDevice();
        arena = Arena.ofShared();
        model = new TinyModel(spec, spec.hashCode());
        weights = DeviceWeights.upload(device, spec, model);
        kv = new DeviceKvCache(device, spec, BLOCKS, BLOCK);
        gemm = GemmFactory.create(device, arena);
        runner = new CudaModelRunner(device, gemm, spec, weights, kv, 256, 16, graphs());
        nextBlock = 0;
    }

    @AfterEach
    void stop() {
        if (runner != null) {
            runner.close();
            gemm.close();
            kv.close();
            weights.close();
            device.close();
            arena.close();
            runner = null;
        }
    }

    int[] blocks(int count) {
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = nextBlock++;
        }
        return out;
    }

    static int[] prompt(long seed, int length, int vocab) {
        Random rnd = new Random(seed);
        int[] t = new int[length];
        for (int i = 0; i < length; i++) {
            t[i] = rnd.nextInt(vocab);
        }
        return t;
    }

    static Stream<Arguments> families() {
        return Stream.of(
                Arguments.of("llama", TinyModel.spec("llama", false, false, false, 0, false)),
                Arguments.of("qwen2 (qkv bias, tied)", TinyModel.spec("qwen2", true, false, true, 0, false)),
                Arguments.of("qwen3 (q/k norm)", TinyModel.spec("qwen3", false, true, false, 0, false)),
                Arguments.of("mistral (sliding window 24)", TinyModel.spec("mistral", false, false, false, 24, false)),
                Arguments.of("llama, interleaved rope", TinyModel.spec("llama", false, false, false, 0, true)),
                Arguments.of("llama attention_bias (q/k/v and o_proj biases)",
                        TinyModel.spec("llama", true, true, false, false, 0, false)));
    }

    static double relativeError(float[] got, double[] want) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < got.length; i++) {
            num += (got[i] - want[i]) * (got[i] - want[i]);
            den += want[i] * want[i];
        }
        return Math.sqrt(num / den);
    }

    StepSequence logitsOf(int[] tokens, int start, int[] table) {
        return new StepSequence(tokens, start, table, StepSequence.Output.LOGITS, null, null, null);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void prefill_eachFamily_logitsMatchTheReference(String name, CudaModelSpec spec) {
        start(spec);
        int[] tokens = prompt(1, 37, spec.vocabSize());
        float[] got = runner.step(List.of(logitsOf(tokens, 0, blocks(3)))).logits(0);
        double[] want = model.new Sequence(false).feed(tokens, null);
        assertThat(relativeError(got, want)).as(name + " logits vs f64 reference").isLessThan(2e-2);
        double[] faithful = model.new Sequence(true).feed(tokens, null);
        assertThat(relativeError(got, faithful)).as(name + " logits vs bf16-faithful reference").isLessThan(1e-2);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void greedyDecode_eachFamily_followsTheReference(String name, CudaModelSpec spec) {
        start(spec);
        int[] tokens = prompt(2, 21, spec.vocabSize());
        int[] table = blocks(BLOCKS / 4);
        TinyModel.Sequence ref = model.new Sequence(true);
        double[] refLogits = ref.feed(tokens, null);
        StepResult r = runner.step(List.of(StepSequence.sample(tokens, 0, table, StepSequence.SampleSpec.greedy())));
        int position = tokens.length;
        for (int i = 0; i < greedyTokens(); i++) {
            int want = TinyModel.argmax(refLogits);
            int got = r.token(0);
            assertThat(got).as(name + ": greedy token " + i).isEqualTo(want);
            refLogits = ref.feed(new int[] {got}, null);
            r = runner.step(List.of(StepSequence.sample(new int[] {got}, position++, table,
                    StepSequence.SampleSpec.greedy())));
        }
    }

    @Test
    void embeddings_hiddenMean_matchesReferenceMeanOfFinalStates() {
        start(TinyModel.spec("llama", false, false, false, 0, false));
        int[] tokens = prompt(9, 23, 300);
        StepResult r = runner.step(List.of(new StepSequence(tokens, 0, blocks(2), StepSequence.Output.HIDDEN_MEAN,
                null, null, null)));
        List<double[]> states = new ArrayList<>();
        model.new Sequence(true).feed(tokens, states);
        double[] mean = new double[128];
        for (double[] st : states) {
            for (int i = 0; i < mean.length; i++) {
                mean[i] += st[i] / states.size();
            }
        }
        assertThat(relativeError(r.pooled(0), mean)).isLessThan(1e-2);
    }

    @Test
    void embed_inputLongerThanOneStep_matchesReferenceMeanOfFinalStates() {
        start(TinyModel.spec("qwen2", true, false, true, 0, false));
        int[] tokens = prompt(21, 300, 300);  // two chunks of at most 256 tokens
        float[] got = runner.embed(tokens);
        List<double[]> states = new ArrayList<>();
        model.new Sequence(true).feed(tokens, states);
        double[] mean = new double[128];
        for (double[] st : states) {
            for (int i = 0; i < mean.length; i++) {
                mean[i] += st[i] / states.size();
            }
        }
        assertThat(relativeError(got, mean)).isLessThan(1e-2);
    }

    @Test
    void submit_threeStepsInFlight_eachResultAsIfRunAlone() {
        start(TinyModel.spec("llama", false, false, false, 0, false));
        int[] a = prompt(17, 9, 300);
        int[] b = prompt(18, 12, 300);
        int[] c = prompt(19, 15, 300);
        float[] aAlone = runner.step(List.of(logitsOf(a, 0, blocks(1)))).logits(0);
        int bAlone = runner.step(List.of(StepSequence.sample(b, 0, blocks(1), StepSequence.SampleSpec.greedy()))).token(0);
        float[] cAlone = runner.step(List.of(logitsOf(c, 0, blocks(1)))).logits(0);
        CudaModelRunner.Pending pa = runner.submit(List.of(logitsOf(a, 0, blocks(1))));
        CudaModelRunner.Pending pb = runner.submit(List.of(StepSequence.sample(b, 0, blocks(1),
                StepSequence.SampleSpec.greedy())));
        CudaModelRunner.Pending pc = runner.submit(List.of(logitsOf(c, 0, blocks(1))));  // reuses a's staging
        assertThat(pc.await().logits(0)).containsExactly(cAlone);
        assertThat(pb.await().token(0)).isEqualTo(bAlone);
        assertThat(pa.await().logits(0)).containsExactly(aAlone);
    }

    @Test
    void sampling_topLogprobs_returnsTheRequestedCountMostLikelyFirst() {
        start(TinyModel.spec("llama", false, false, false, 0, false));
        int[] tokens = prompt(12, 9, 300);
        StepResult r = runner.step(List.of(StepSequence.sample(tokens, 0, blocks(1),
                new StepSequence.SampleSpec(0.8f, 0.9f, 0f, 40, 42L, 0L, 5))));
        float[] lps = r.topLogprobs(0);
        assertThat(r.topIds(0)).hasSize(5);
        for (int i = 1; i < lps.length; i++) {
            assertThat(lps[i]).isLessThanOrEqualTo(lps[i - 1]);
        }
    }

    @Test
    void sampling_sameSeedAndCounter_sameTokenWhateverSharesTheBatch() {
        start(TinyModel.spec("llama", false, false, false, 0, false));
        int[] tokens = prompt(13, 12, 300);
        StepSequence.SampleSpec seeded = new StepSequence.SampleSpec(1.0f, 1f, 0f, 0, 1234L, 7L, -1);
        int alone = runner.step(List.of(StepSequence.sample(tokens, 0, blocks(1), seeded))).token(0);
        StepResult together = runner.step(List.of(
                StepSequence.sample(prompt(14, 5, 300), 0, blocks(1), new StepSequence.SampleSpec(0.7f, 1f, 0f, 0, 9L,
                        1L, -1)),
                StepSequence.sample(tokens, 0, blocks(1), seeded)));
        assertThat(together.token(1)).isEqualTo(alone);
    }

    @Test
    void logitAdjustment_largeNegativeBias_removesTheGreedyChoice() {
        start(TinyModel.spec("llama", false, false, false, 0, false));
        int[] tokens = prompt(15, 10, 300);
        StepSequence.SampleSpec greedy = StepSequence.SampleSpec.greedy();
        int plain = runner.step(List.of(StepSequence.sample(tokens, 0, blocks(1), greedy))).token(0);
        int biased = runner.step(List.of(new StepSequence(tokens, 0, blocks(1), StepSequence.Output.SAMPLE, greedy,
                new int[] {plain}, new float[] {-100f}))).token(0);
        assertThat(biased).isNotEqualTo(plain);
    }

    static double[] toDouble(float[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}
