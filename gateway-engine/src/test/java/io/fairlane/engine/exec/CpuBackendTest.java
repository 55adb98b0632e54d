package io.fairlane.engine.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.cpu.ScalarReference;
import io.fairlane.engine.model.DType;
import io.fairlane.engine.model.Model;
import io.fairlane.engine.model.TestModels;
import io.fairlane.engine.sampling.SamplingState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CpuBackendTest {

    /** Blocks reserved per test sequence: sequence i owns blocks [i * 8, i * 8 + 8), 128 positions. */
    static final int BLOCKS_PER_SEQUENCE = 8;

    @TempDir
    static Path root;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    CpuBackend backend(String shape, int threads) {
        Model m = TestModels.open(root, shape, DType.BF16, 3);
        CpuBackend b = CpuBackend.open(m, BackendOptions.cpu(32 << 20).withThreads(threads));
        open.add(b);
        return b;
    }

    static int[] prompt(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = 3 + rnd.nextInt(TestModels.VOCAB - 3);
        }
        return t;
    }

    static int[] table(int sequence) {
        int[] t = new int[BLOCKS_PER_SEQUENCE];
        for (int i = 0; i < t.length; i++) {
            t[i] = sequence * BLOCKS_PER_SEQUENCE + i;
        }
        return t;
    }

    static SamplingState greedy() {
        return SamplingState.of(SamplingParams.greedy(100), 0L, 0);
    }

    /** Prefills {@code prompt} in chunks of {@code chunk} tokens, then decodes {@code steps} greedy tokens. */
    static int[] generateAlone(CpuBackend b, int sequence, int[] prompt, int chunk, int steps) {
        int[] out = new int[steps];
        int pos = 0;
        int next = -1;
        while (pos < prompt.length) {
            int len = Math.min(chunk, prompt.length - pos);
            int[] part = Arrays.copyOfRange(prompt, pos, pos + len);
            boolean last = pos + len == prompt.length;
            SequenceInput in = last ? SequenceInput.sample(part, pos, table(sequence), greedy())
                    : SequenceInput.prefill(part, pos, table(sequence));
            StepResult r = b.step(BatchInput.of(in));
            if (last) {
                next = r.token(0);
            }
            pos += len;
        }
        for (int s = 0; s < steps; s++) {
            out[s] = next;
            StepResult r = b.step(BatchInput.of(SequenceInput.sample(new int[] {next}, pos, table(sequence),
                    greedy())));
            next = r.token(0);
            pos++;
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny", "tiny-qwen3"})
    void step_batchedDecode_givesSameGreedyTokensAsOneByOne(String shape) {
        CpuBackend b = backend(shape, 2);
        // Nine sequences: decode steps then carry enough tokens for the widened-row matmul path, which must agree
        // bit for bit with the direct path a lone decode takes.
        int n = 9;
        int steps = 8;
        int[][] prompts = new int[n][];
        int[][] alone = new int[n][];
        for (int i = 0; i < n; i++) {
            prompts[i] = prompt(3 + 2 * i, i);
            alone[i] = generateAlone(b, i, prompts[i], 64, steps);
        }
        // Same sequences batched: all prompts in one step, then every decode step carries all five.
        List<SequenceInput> prefill = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            prefill.add(SequenceInput.sample(prompts[i], 0, table(n + i), greedy()));
        }
        StepResult r = b.step(new BatchInput(prefill));
        int[][] batched = new int[n][steps];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            next[i] = r.token(i);
        }
        for (int s = 0; s < steps; s++) {
            List<SequenceInput> decode = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                batched[i][s] = next[i];
                decode.add(SequenceInput.sample(new int[] {next[i]}, prompts[i].length + s, table(n + i), greedy()));
            }
            r = b.step(new BatchInput(decode));
            for (int i = 0; i < n; i++) {
                next[i] = r.token(i);
            }
        }
        assertThat(batched).isDeepEqualTo(alone);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-qwen2", "tiny-mistral"})
    void step_chunkedPrefill_givesSameGreedyTokensAsWholePrefill(String shape) {
        CpuBackend b = backend(shape, 2);
        int[] p = prompt(45, 9);
        int[] whole = generateAlone(b, 0, p, 64, 10);
        int[] chunked = generateAlone(b, 1, p, 7, 10);
        assertThat(chunked).containsExactly(whole);
    }

    @Test
    void step_logitsOfOneSequence_doNotDependOnWhatSharesTheBatch() {
        CpuBackend b = backend("tiny-qwen3", 2);
        int[] p = prompt(9, 1);
        float[] alone = b.step(BatchInput.of(SequenceInput.logits(p, 0, table(0)))).logits(0);
        StepResult mixed = b.step(new BatchInput(List.of(
                SequenceInput.prefill(prompt(20, 2), 0, table(1)),
                SequenceInput.logits(p, 0, table(2)),
                SequenceInput.logits(prompt(3, 3), 0, table(3)))));
        assertThat(mixed.logits(1)).containsExactly(alone);
    }

    @Test
    void step_seededSampling_drawsSameTokensWhateverSharesTheBatch() {
        CpuBackend b = backend("tiny", 2);
        SamplingParams params = new SamplingParams(0.9, 0.95, 0, 0, OptionalLong.of(42), 0, 0, Map.of(), false, 0,
                50, List.of(), false);
        int[] p = prompt(6, 4);
        int[] alone = sampleRun(b, p, params, 0, List.of());
        int[] crowded = sampleRun(b, p, params, 1, List.of(prompt(4, 5), prompt(11, 6), prompt(2, 7)));
        assertThat(crowded).containsExactly(alone);
    }

    /** Samples 15 tokens for {@code p} (sequence {@code seq}), with {@code others} decoding greedily beside it. */
    private static int[] sampleRun(CpuBackend b, int[] p, SamplingParams params, int seq, List<int[]> others) {
        SamplingState state = SamplingState.of(params, 0);
        int[] out = new int[15];
        int[] last = {p[p.length - 1]};
        int pos = p.length - 1;
        b.step(BatchInput.of(SequenceInput.prefill(Arrays.copyOf(p, p.length - 1), 0, table(seq * 10))));
        for (int i = 0; i < others.size(); i++) {
            b.step(BatchInput.of(SequenceInput.prefill(others.get(i), 0, table(seq * 10 + 1 + i))));
        }
        for (int s = 0; s < out.length; s++) {
            List<SequenceInput> batch = new ArrayList<>();
            for (int i = 0; i < others.size(); i++) {
                batch.add(SequenceInput.sample(new int[] {3 + s}, others.get(i).length + s, table(seq * 10 + 1 + i),
                        greedy()));
            }
            batch.add(others.size() / 2, SequenceInput.sample(last, pos, table(seq * 10), state));
            StepResult r = b.step(new BatchInput(batch));
            int token = r.token(others.size() / 2);
            state.accept(token);
            out[s] = token;
            last = new int[] {token};
            pos++;
        }
        return out;
    }

    @Test
    void copyBlock_forkedSequence_continuesExactlyLikeTheOriginal() {
        CpuBackend b = backend("tiny", 2);
        int[] p = prompt(21, 8); // two blocks: one full, one partial
        float[] original = b.step(BatchInput.of(SequenceInput.logits(p, 0, table(0)))).logits(0);
        // The fork shares block 0 (full) and gets a private copy of the partial block 1.
        b.copyBlock(1, 20);
        int[] forkTable = {0, 20, 21, 22};
        int[] again = Arrays.copyOfRange(p, 20, 21);
        float[] fork = b.step(BatchInput.of(SequenceInput.logits(again, 20, forkTable))).logits(0);
        assertThat(fork).containsExactly(original);
    }

    @Test
    void embed_matchesHiddenMeanOfAStepAndTheOracle() {
        CpuBackend b = backend("tiny-qwen2", 2);
        int[] p = prompt(13, 12);
        float[] embedded = b.embed(p);
        SequenceOutput out = b.step(BatchInput.of(new SequenceInput(p, 0, table(0), SequenceInput.Output.HIDDEN_MEAN,
                null))).get(0);
        Model m = TestModels.open(root, "tiny-qwen2", DType.BF16, 3);
        open.add(m);
        double[] oracle = new ScalarReference(m.config(), m.weights()).hiddenMean(p);
        assertThat(((SequenceOutput.HiddenMean) out).values()).containsExactly(embedded);
        for (int i = 0; i < oracle.length; i++) {
            assertThat((double) embedded[i]).isCloseTo(oracle[i], org.assertj.core.data.Offset.offset(1e-4));
        }
    }

    @Test
    void step_tokenOutsideVocabulary_isRefusedNamingTheSequence() {
        CpuBackend b = backend("tiny", 1);
        BatchInput bad = new BatchInput(List.of(SequenceInput.prefill(new int[] {5}, 0, table(0)),
                SequenceInput.prefill(new int[] {TestModels.VOCAB}, 0, table(1))));
        assertThatThrownBy(() -> b.step(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sequence 1").hasMessageContaining("vocabulary");
    }

    @Test
    void step_blockTableTooShort_isRefused() {
        CpuBackend b = backend("tiny", 1);
        BatchInput bad = BatchInput.of(SequenceInput.prefill(prompt(20, 1), 0, new int[] {0}));
        assertThatThrownBy(() -> b.step(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("need 2");
    }

    @Test
    void step_blockIdOutsideStore_isRefused() {
        CpuBackend b = backend("tiny", 1);
        BatchInput bad = BatchInput.of(SequenceInput.prefill(prompt(3, 1), 0, new int[] {b.kvBlocks()}));
        assertThatThrownBy(() -> b.step(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("outside [0, " + b.kvBlocks() + ")");
    }

    @Test
    void submit_plainBatch_sameLogitsAsStep() {
        CpuBackend b = backend("tiny", 1);
        float[] stepped = b.step(BatchInput.of(SequenceInput.logits(prompt(9, 4), 0, table(0)))).logits(0);
        float[] submitted = b.submit(BatchInput.of(SequenceInput.logits(prompt(9, 4), 0, table(1)))).await().logits(0);
        assertThat(submitted).containsExactly(stepped);
    }

    @Test
    void submit_tokenFromThePreviousStep_refusedWithTheReason() {
        CpuBackend b = backend("tiny", 1);
        b.step(BatchInput.of(SequenceInput.sample(prompt(9, 4), 0, table(0), greedy())));
        assertThatThrownBy(() -> b.submit(BatchInput.of(SequenceInput.sampledBy(0, 9, table(0), greedy()))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not read tokens sampled by the previous step");
    }

    @Test
    void open_explicitKvBytes_sizesTheStoreInWholeBlocks() {
        Model m = TestModels.open(root, "tiny", DType.BF16, 3);
        KvLayout layout = KvLayout.of(m.config(), 16, 4);
        CpuBackend b = CpuBackend.open(m, BackendOptions.cpu(layout.bytesPerBlock() * 10 + 5));
        open.add(b);
        assertThat(b.kvBlocks()).isEqualTo(10);
    }

    @Test
    void providers_cpuIsInstalledWithTheEngine() {
        assertThat(ExecutionBackendProvider.find("cpu")).get()
                .satisfies(p -> assertThat(p.probe().usable()).isTrue());
    }

    @Test
    void cudaOpen_withoutTheCudaModule_refusesNamingTheMissingModule() {
        // The engine module's tests run without gateway-cuda on the classpath.
        Model m = TestModels.open(root, "tiny", DType.BF16, 3);
        open.add(m);
        ExecutionBackendProvider cuda = ExecutionBackendProvider.named("cuda");
        assertThat(cuda.probe().reason()).contains("gateway-cuda");
        assertThatThrownBy(() -> cuda.open(m, BackendOptions.cpu(0)))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageStartingWith("CUDA backend not available: ");
    }
}
