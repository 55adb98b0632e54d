package io.fairlane.engine.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The forward-pass contract on a GPU with CUDA graphs on and cuBLAS where found, plus what only a GPU has:
 * graph replay against eager execution, and cuBLAS against the fallback GEMM kernel.
 */
@Tag("gpu")
class GpuRunnerTest extends RunnerContract {

    @BeforeAll
    static void deviceUsable() {
        CudaProbe.Result probe = CudaProbe.probe();
        Assumptions.assumeTrue(probe.usable(), () -> "skipped: no usable CUDA device: " + probe.reason());
    }

    @Override
    DeviceRuntime openDevice() {
        return CudaDevice.open(0);
    }

    @Override
    int greedyTokens() {
        return 40;
    }

    @Override
    boolean graphs() {
        return true;
    }

    private List<Integer> greedyRun(CudaModelRunner r, int[] prompt, int[] table, int steps) {
        StepSequence.SampleSpec greedy = StepSequence.SampleSpec.greedy();
        List<Integer> out = new ArrayList<>();
        int token = r.step(List.of(StepSequence.sample(prompt, 0, table, greedy))).token(0);
        for (int i = 0; i < steps; i++) {
            out.add(token);
            token = r.step(List.of(StepSequence.sample(new int[] {token}, prompt.length + i, table, greedy))).token(0);
        }
        return out;
    }

    @Test
    void graphReplay_decodeSteps_sameTokensAsEager() {
        start(TinyModel.spec("llama", false, false, false, 0, false));
        int[] prompt = prompt(20, 33, 300);
        List<Integer> graphed = greedyRun(runner, prompt, blocks(8), 48);
        assertThat(runner.graphReplays()).isGreaterThan(0);
        try (CudaModelRunner eager = new CudaModelRunner(device, gemm, model.spec, weights, kv, 256, 16, false)) {
            assertThat(greedyRun(eager, prompt, blocks(8), 48)).isEqualTo(graphed);
        }
    }

    @Test
    void graphReplay_batchOfFiveSequences_paddedBucketGivesSameTokensAsEager() {
        start(TinyModel.spec("qwen3", false, true, false, 0, false));
        StepSequence.SampleSpec greedy = StepSequence.SampleSpec.greedy();
        int[][] tables = new int[5][];
        int[] next = new int[5];
        for (int s = 0; s < 5; s++) {
            tables[s] = blocks(4);
            next[s] = runner.step(List.of(StepSequence.sample(prompt(30 + s, 10 + 7 * s, 300), 0, tables[s], greedy)))
                    .token(0);
        }
        List<StepSequence> batch = new ArrayList<>();
        for (int s = 0; s < 5; s++) {
            batch.add(StepSequence.sample(new int[] {next[s]}, 10 + 7 * s, tables[s], greedy));
        }
        StepResult graphed = runner.step(batch);
        assertThat(runner.graphReplays()).isEqualTo(1);
        try (CudaModelRunner eager = new CudaModelRunner(device, gemm, model.spec, weights, kv, 256, 16, false)) {
            // the graphed step already wrote these positions' K/V; rewriting them with the same values is harmless
            StepResult plain = eager.step(batch);
            for (int s = 0; s < 5; s++) {
                assertThat(graphed.token(s)).as("sequence " + s).isEqualTo(plain.token(s));
            }
        }
    }

    @Test
    void cublas_againstFallbackKernel_sameLogitsWithinBf16() {
        start(TinyModel.spec("llama", false, false, false, 0, false));
        Assumptions.assumeTrue(gemm instanceof Gemm.CublasGemm,
                "skipped: no libcublas the driver supports was found, so there is no cuBLAS path to compare");
        int[] tokens = prompt(40, 50, 300);
        float[] viaCublas = runner.step(List.of(logitsOf(tokens, 0, blocks(4)))).logits(0);
        Gemm kernelGemm = new Gemm.KernelGemm(new Kernels(device, arena));
        try (CudaModelRunner other = new CudaModelRunner(device, kernelGemm, model.spec, weights, kv, 256, 16, false)) {
            float[] viaKernel = other.step(List.of(logitsOf(tokens, 0, blocks(4)))).logits(0);
            assertThat(relativeError(viaKernel, toDouble(viaCublas))).isLessThan(5e-3);
        }
    }
}
