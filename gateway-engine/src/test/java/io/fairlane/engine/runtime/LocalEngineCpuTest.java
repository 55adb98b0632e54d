package io.fairlane.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.engine.exec.BackendOptions;
import io.fairlane.engine.exec.CpuBackend;
import io.fairlane.engine.exec.ExecutionBackend;
import io.fairlane.engine.model.DType;
import io.fairlane.engine.model.Model;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The engine contract on the CPU backend with f32 weights, plus batch compositions under step budgets, running
 * limits and block sizes that only the CPU backend is asked to serve.
 */
class LocalEngineCpuTest extends LocalEngineContract {

    @Override
    ExecutionBackend openBackend(Model model, BackendOptions options) {
        return CpuBackend.open(model, options);
    }

    @Override
    DType modelDType() {
        return DType.F32;
    }

    @ParameterizedTest(name = "step budget {0}, {1} sequences, block size {2}")
    @CsvSource({"7, 2, 16", "64, 8, 16", "33, 4, 8", "512, 16, 32"})
    void greedy_acrossBatchCompositions_matchesSoloRuns(int maxBatchTokens, int maxRunning, int blockSize) {
        List<int[]> prompts = List.of(prompt(3, 20), prompt(17, 21), prompt(50, 22), prompt(33, 21), prompt(1, 24));
        List<List<Integer>> expected = solo(prompts, greedy(10));
        assertThat(runAll(engine(256, blockSize, maxBatchTokens, maxRunning), prompts, greedy(10)))
                .isEqualTo(expected);
    }
}
