package io.fairlane.engine.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The forward pass end to end on tiny random models of every supported family, against {@link TinyModel}'s
 * reference: logits, greedy continuations, chunked prefill, prefix-cache hits, mixed batches, embeddings, forks,
 * device-side token feedback and bad batches. Runs on the emulator in every build ({@link EmulatedRunnerTest}) and
 * on a GPU under the {@code gpu} tag ({@link GpuRunnerTest}), which adds graph replay and longer runs.
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
    void chunkedPrefill_twoChunks_sameLogitsAsOneChunk() {
        start(TinyModel.spec("llama", false, false, false, 0, false));
        int[] tokens = prompt(3, 45, 300);
        float[] whole = runner.step(List.of(logitsOf(tokens, 0, blocks(3)))).logits(0);
        int[] table = blocks(3);
        runner.step(List.of(new StepSequence(Arrays.copyOf(tokens, 16), 0, table, StepSequence.Output.NONE, null,
                null, null)));
        float[] chunked = runner.step(List.of(logitsOf(Arrays.copyOfRange(tokens, 16, 45), 16, table))).logits(0);
        assertThat(relativeError(chunked, toDouble(whole))).isLessThan(2e-3);
    }

    @Test
    void prefixHit_cachedBlocksReused_sameLogitsAsCold() {
        start(TinyModel.spec("qwen3", false, true, false, 0, false));
        int[] shared = prompt(4, 32, 300);
        int[] suffix = prompt(5, 9, 300);
        int[] full = concat(shared, suffix);
        float[] cold = runner.step(List.of(logitsOf(full, 0, blocks(3)))).logits(0);
        // first request fills two full blocks with the shared prefix
        int[] first = blocks(3);
        runner.step(List.of(logitsOf(concat(shared, prompt(6, 5, 300)), 0, first)));
        // second request starts after the cached prefix, reusing those blocks
        int[] second = {first[0], first[1], blocks(1)[0]};
        float[] hit = runner.step(List.of(logitsOf(suffix, 32, second))).logits(0);
        assertThat(relativeError(hit, toDouble(cold))).isLessThan(2e-3);
    }

    @Test
    void mixedBatch_decodeBesidePrefill_sameTokensAsAlone() {
        start(TinyModel.spec("qwen2", true, false, false, 0, false));
        int[] a = prompt(7, 30, 300);
        int[] b = prompt(8, 19, 300);
        int[] tableA = blocks(4);
        int[] tableA2 = blocks(4);
        int[] tableB = blocks(4);
        int[] tableB2 = blocks(4);
        StepSequence.SampleSpec greedy = StepSequence.SampleSpec.greedy();
        int aFirst = runner.step(List.of(StepSequence.sample(a, 0, tableA, greedy))).token(0);
        runner.step(List.of(StepSequence.sample(a, 0, tableA2, greedy)));
        // alone: a's decode, b's prefill
        int aAlone = runner.step(List.of(StepSequence.sample(new int[] {aFirst}, 30, tableA2, greedy))).token(0);
        int bAlone = runner.step(List.of(StepSequence.sample(b, 0, tableB2, greedy))).token(0);
        // together in one step
        StepResult both = runner.step(List.of(StepSequence.sample(new int[] {aFirst}, 30, tableA, greedy),
                StepSequence.sample(b, 0, tableB, greedy)));
        assertThat(new int[] {both.token(0), both.token(1)}).containsExactly(aAlone, bAlone);
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
    void embed_betweenSteps_leavesThePagedPoolUntouched() {
        start(TinyModel.spec("llama", false, false, false, 0, false));
        int[] tokens = prompt(22, 20, 300);
        int[] table = blocks(2);
        runner.step(List.of(new StepSequence(tokens, 0, table, StepSequence.Output.NONE, null, null, null)));
        float[] before = runner.step(List.of(logitsOf(new int[] {7}, 20, table))).logits(0);
        runner.embed(prompt(23, 40, 300));
        float[] after = runner.step(List.of(logitsOf(new int[] {7}, 20, table))).logits(0);
        assertThat(after).containsExactly(before);
    }

    @Test
    void fork_copiedPartialBlock_bothContinuationsIdentical() {
        start(TinyModel.spec("llama", false, false, false, 0, false));
        int[] tokens = prompt(10, 20, 300);
        int[] parent = blocks(4);
        StepSequence.SampleSpec greedy = StepSequence.SampleSpec.greedy();
        int first = runner.step(List.of(StepSequence.sample(tokens, 0, parent, greedy))).token(0);
        // the child shares block 0 (full) and gets its own copy of block 1 (partial, 4 of 16 filled)
        int[] child = {parent[0], blocks(1)[0], blocks(1)[0], blocks(1)[0]};
        runner.copyBlocks(new int[] {parent[1], child[1]});
        int[] seqA = new int[6];
        int[] seqB = new int[6];
        int ta = first;
        int tb = first;
        for (int i = 0; i < 6; i++) {
            StepResult r = runner.step(List.of(StepSequence.sample(new int[] {ta}, 20 + i, parent, greedy),
                    StepSequence.sample(new int[] {tb}, 20 + i, child, greedy)));
            ta = seqA[i] = r.token(0);
            tb = seqB[i] = r.token(1);
        }
        assertThat(seqB).containsExactly(seqA);
    }

    @Test
    void previousStepToken_negativeId_readsTheSampledIdOnDevice() {
        start(TinyModel.spec("llama", false, false, false, 0, false));
        int[] tokens = prompt(11, 17, 300);
        StepSequence.SampleSpec greedy = StepSequence.SampleSpec.greedy();
        int[] t1 = blocks(2);
        int[] t2 = blocks(2);
        StepResult first = runner.step(List.of(StepSequence.sample(tokens, 0, t1, greedy)));
        int explicit = runner.step(List.of(StepSequence.sample(new int[] {first.token(0)}, 17, t1, greedy))).token(0);
        runner.step(List.of(StepSequence.sample(tokens, 0, t2, greedy)));
        // -1: "the id the previous step sampled for its row 0", never read by the host
        int implicit = runner.step(List.of(StepSequence.sample(new int[] {-1}, 17, t2, greedy))).token(0);
        assertThat(implicit).isEqualTo(explicit);
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

    @Test
    void submit_tokenOutsideVocabulary_isRejectedAndTheRunnerKeepsWorking() {
        start(TinyModel.spec("llama", false, false, false, 0, false));
        int[] table = blocks(1);
        assertThatThrownBy(() -> runner.step(List.of(logitsOf(new int[] {1, 300}, 0, table))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token id 300");
        assertThat(runner.step(List.of(logitsOf(new int[] {1, 2}, 0, table))).logits(0)).hasSize(300);
    }

    @Test
    void submit_blockTableTooShort_isRejected() {
        start(TinyModel.spec("llama", false, false, false, 0, false));
        assertThatThrownBy(() -> runner.step(List.of(logitsOf(prompt(16, 17, 300), 0, blocks(1)))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs 2 KV blocks");
    }

    @Test
    void submit_beyondContextLength_isRejected() {
        start(TinyModel.spec("llama", false, false, false, 0, false));
        assertThatThrownBy(() -> runner.step(List.of(logitsOf(new int[] {1}, 512, blocks(33)))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("context length 512");
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static double[] toDouble(float[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}
