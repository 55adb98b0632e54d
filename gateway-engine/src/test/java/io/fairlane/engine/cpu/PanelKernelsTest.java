package io.fairlane.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fairlane.engine.model.DType;
import io.fairlane.engine.model.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PanelKernelsTest {

    /** Not a multiple of the panel height, so the last panel is padded and partly stored. */
    private static final int ROWS = 4 * PanelKernels.P * 3 + PanelKernels.P + 5;
    /** Not a multiple of the vector length, so the row-major path has a scalar tail. */
    private static final int COLS = 70;

    private static Arena arena;
    private static WorkerPool pool;
    private static Matrix rowMajor;
    private static Matrix panels;

    @BeforeAll
    static void matrices() {
        arena = Arena.ofShared();
        pool = new WorkerPool(2, "panel-test");
        MemorySegment seg = arena.allocate((long) ROWS * COLS * 2, 64);
        SplittableRandom rnd = new SplittableRandom(3);
        for (long i = 0; i < (long) ROWS * COLS; i++) {
            float f = (float) rnd.nextGaussian();
            seg.set(VectorKernels.SHORT_LE, i * 2, (short) (Float.floatToRawIntBits(f) >>> 16));
        }
        Tensor t = new Tensor("w", DType.BF16, new long[] {ROWS, COLS}, seg, Path.of("test"));
        rowMajor = Matrix.of(t, arena);
        panels = Matrix.forMatmul(t, arena, pool);
    }

    @AfterAll
    static void close() {
        pool.close();
        arena.close();
    }

    private static float[] activations(int tokens, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[tokens * COLS];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    private static float[] matmul(Matrix w, float[] x, int tokens, int r0, int r1) {
        float[] out = new float[tokens * ROWS];
        VectorKernels.matmul(w, x, tokens, out, ROWS, 0, r0, r1, VectorKernels.rowScratch(COLS), PanelKernels.accScratch());
        return out;
    }

    /** Each output as the kernels define it: one float fused multiply-add chain over k in order, from zero. */
    private static float expected(float[] x, int t, int r) {
        float s = 0;
        for (int k = 0; k < COLS; k++) {
            s = Math.fma(rowMajor.get(r, k), x[t * COLS + k], s);
        }
        return s;
    }

    @Test
    void forMatmul_bf16_packsAPaddedCopyOfTheWeights() {
        assertThat(panels.panelBytes()).isEqualTo((long) PanelKernels.panels(ROWS) * PanelKernels.P * COLS * 2);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 24, 25, 70})
    void matmul_panels_equalsTheInOrderFmaChainBitForBit(int tokens) {
        float[] x = activations(tokens, tokens);
        float[] out = matmul(panels, x, tokens, 0, ROWS);
        float[] want = new float[tokens * ROWS];
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < ROWS; r++) {
                want[t * ROWS + r] = expected(x, t, r);
            }
        }
        assertThat(out).containsExactly(want);
    }

    /** Every width, whatever {@link PanelKernels#MAX_TILE} this machine's registers allow the matmul to use. */
    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void tile_eachWidth_equalsTheInOrderFmaChainBitForBit(int tokens) {
        float[] x = activations(tokens + 1, 100 + tokens);
        int panel = 2;
        float[] acc = PanelKernels.accScratch();
        // Tokens 1 .. tokens of x, so the activation offset is exercised too.
        PanelTiles.tile(tokens, panels.panels, (long) panel * COLS * PanelKernels.P * 2, x, COLS, COLS, acc, 0);
        for (int t = 0; t < tokens; t++) {
            for (int j = 0; j < PanelKernels.P; j++) {
                assertThat(acc[t * PanelKernels.P + j]).as("token %d row %d", t, j)
                        .isEqualTo(expected(x, t + 1, panel * PanelKernels.P + j));
            }
        }
    }

    @Test
    void matmul_panels_tokensTogetherEqualOneByOne() {
        int tokens = 16;
        float[] x = activations(tokens, 9);
        float[] together = matmul(panels, x, tokens, 0, ROWS);
        float[] alone = new float[tokens * ROWS];
        for (int t = 0; t < tokens; t++) {
            float[] one = matmul(panels, Arrays.copyOfRange(x, t * COLS, (t + 1) * COLS), 1, 0, ROWS);
            System.arraycopy(one, 0, alone, t * ROWS, ROWS);
        }
        assertThat(together).containsExactly(alone);
    }

    @Test
    void matmul_panels_agreesWithTheRowMajorTilesWithin1e5() {
        int tokens = 8;
        float[] x = activations(tokens, 4);
        float[] a = matmul(panels, x, tokens, 0, ROWS);
        float[] b = matmul(rowMajor, x, tokens, 0, ROWS);
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
        }
        assertThat(worst).isLessThan(1e-5);
    }

    @Test
    void matmul_panelsRowSlice_writesOnlyItsRows() {
        int r0 = 4 * PanelKernels.P;
        int r1 = r0 + 2 * PanelKernels.P + 3;
        float[] x = activations(3, 5);
        float[] out = matmul(panels, x, 3, r0, r1);
        for (int t = 0; t < 3; t++) {
            for (int r = 0; r < ROWS; r++) {
                assertThat(out[t * ROWS + r]).as("token %d row %d", t, r)
                        .isEqualTo(r >= r0 && r < r1 ? expected(x, t, r) : 0f);
            }
        }
    }

    @Test
    void matmul_panelsSliceNotOnAPanelBoundary_isRefused() {
        assertThatThrownBy(() -> matmul(panels, activations(2, 1), 2, 3, ROWS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("r0");
    }
}
