package io.fairlane.engine.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.cpu.ScalarReference;
import io.fairlane.engine.model.DType;
import io.fairlane.engine.model.Model;
import io.fairlane.engine.model.TestModels;
import io.fairlane.engine.sampling.SamplingState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CPU backend: the backend contract, which it passes bit for bit against the reference on one thread (so more
 * threads change nothing), plus what only the CPU promises: batch composition that changes no bit of a greedy or
 * seeded run, agreement with the scalar oracle, KV sizing in whole blocks, and the provider registry of an
 * engine built without the CUDA module.
 */
class CpuBackendTest extends BackendContract {

    @Override
    protected ExecutionBackend openBackend(Model model, BackendOptions options) {
        return CpuBackend.open(model, options);
    }

    @Override
    protected Tolerance tolerance() {
        return Tolerance.EXACT;
    }

    private CpuBackend backend(String shape, int threads) {
        return track(CpuBackend.open(TestModels.open(root, shape, DType.BF16, 3),
                BackendOptions.cpu(32 << 20).withThreads(threads)));
    }

    /** Prefills {@code prompt} in chunks of {@code chunk} tokens, then decodes {@code steps} greedy tokens. */
    private static int[] generateAlone(CpuBackend b, int sequence, int[] prompt, int chunk, int steps) {
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
    void embed_matchesTheScalarOracle() {
        int[] p = prompt(13, 12);
        float[] embedded = backend("tiny-qwen2", 2).embed(p);
        Model m = track(TestModels.open(root, "tiny-qwen2", DType.BF16, 3));
        double[] oracle = new ScalarReference(m.config(), m.weights()).hiddenMean(p);
        for (int i = 0; i < oracle.length; i++) {
            assertThat((double) embedded[i]).as("dimension " + i).isCloseTo(oracle[i], Offset.offset(1e-4));
        }
    }

    @Test
    void open_explicitKvBytes_sizesTheStoreInWholeBlocks() {
        Model m = TestModels.open(root, "tiny", DType.BF16, 3);
        KvLayout layout = KvLayout.of(m.config(), 16, 4);
        CpuBackend b = CpuBackend.open(m, BackendOptions.cpu(layout.bytesPerBlock() * 10 + 5));
        track(b);
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
        Model m = track(TestModels.open(root, "tiny", DType.BF16, 3));
        ExecutionBackendProvider cuda = ExecutionBackendProvider.named("cuda");
        assertThat(cuda.probe().reason()).contains("gateway-cuda");
        assertThatThrownBy(() -> cuda.open(m, BackendOptions.cpu(0)))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageStartingWith("CUDA backend not available: ");
    }
}
