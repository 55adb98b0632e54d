package io.fairlane.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.engine.model.DType;
import io.fairlane.engine.model.Model;
import io.fairlane.engine.model.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CpuForwardTest {

    @TempDir
    static Path root;

    private static final List<AutoCloseable> OPEN = new ArrayList<>();

    @AfterAll
    static void closeAll() throws Exception {
        for (AutoCloseable c : OPEN) {
            c.close();
        }
    }

    static Model model(String shape, DType dtype) {
        Model m = TestModels.open(root, shape, dtype, 7);
        OPEN.add(m);
        return m;
    }

    static CpuModelRunner runner(Model m, int threads) {
        CpuModelRunner r = CpuModelRunner.create(m, 16, 64, threads);
        OPEN.add(r);
        return r;
    }

    static int[] prompt(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = 3 + rnd.nextInt(TestModels.VOCAB - 3);
        }
        return t;
    }

    static int[] table(int first, int count) {
        int[] t = new int[count];
        for (int i = 0; i < count; i++) {
            t[i] = first + i;
        }
        return t;
    }

    /** max |a - b| over the row divided by max |b|: relative to the row's scale. */
    static double relativeError(float[] a, double[] b) {
        double diff = 0;
        double scale = 0;
        for (int i = 0; i < b.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        return diff / scale;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny", "tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-mistral"})
    void forward_tinyShapeOfEachFamily_matchesScalarOracleWithin1e4(String shape) {
        Model m = model(shape, DType.BF16);
        CpuModelRunner r = runner(m, 2);
        int[] tokens = prompt(21, shape.hashCode());
        double[][] expected = new ScalarReference(m.config(), m.weights()).logits(tokens);
        // Whole prompt in one chunk, then each logits row of the last position compared.
        float[] got = r.forward(List.of(new Chunk(tokens, 0, table(0, 2), Chunk.Readout.LOGITS)))[0];
        assertThat(relativeError(got, expected[tokens.length - 1])).isLessThan(1e-4);
    }

    @Test
    void forward_f32Weights_matchesScalarOracleAtEveryDecodeStep() {
        Model m = model("tiny-qwen3", DType.F32);
        CpuModelRunner r = runner(m, 2);
        int[] tokens = prompt(12, 5);
        double[][] expected = new ScalarReference(m.config(), m.weights()).logits(tokens);
        double worst = 0;
        for (int p = 0; p < tokens.length; p++) {
            float[] got = r.forward(List.of(new Chunk(new int[] {tokens[p]}, p, table(0, 1), Chunk.Readout.LOGITS)))[0];
            worst = Math.max(worst, relativeError(got, expected[p]));
        }
        assertThat(worst).isLessThan(1e-4);
    }

    @Test
    void forward_mistralPastItsSlidingWindow_matchesScalarOracle() {
        Model m = model("tiny-mistral", DType.BF16);
        assertThat(m.config().slidingWindow()).isEqualTo(8);
        CpuModelRunner r = runner(m, 2);
        int[] tokens = prompt(30, 11);
        double[][] expected = new ScalarReference(m.config(), m.weights()).logits(tokens);
        float[] got = r.forward(List.of(new Chunk(tokens, 0, table(0, 2), Chunk.Readout.LOGITS)))[0];
        assertThat(relativeError(got, expected[tokens.length - 1])).isLessThan(1e-4);
    }
}
