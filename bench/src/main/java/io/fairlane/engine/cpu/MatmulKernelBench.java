package io.fairlane.engine.cpu;

import io.fairlane.engine.model.DType;
import io.fairlane.engine.model.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Single-thread microbenchmark of the CPU matmul kernels on a random bf16 matrix: the row-major dot-product tiles
 * ({@link VectorKernels#matmul}) against the outer-product kernels over packed panels ({@link PanelKernels}).
 *
 * <p>Measures multiply-adds per CPU-second of the measuring thread (ThreadMXBean), not per wall second, so the
 * figure stays meaningful on a machine shared with other work; each (kernel, tokens) cell is the best of several
 * rounds, the kernels interleaved round by round so both see the same machine. Not a test (no assertions beyond a
 * sanity check that both kernels agree). It sits in the kernels' package because they are package-private; run it
 * from the project root with
 *
 * <pre>
 * bench/run.sh io.fairlane.engine.cpu.MatmulKernelBench --rows 4096 --cols 1024 --tokens 1,4,8,16
 * </pre>
 */
final class MatmulKernelBench {

    private MatmulKernelBench() {
    }

    public static void main(String[] args) {
        int rows = 4096;
        int cols = 1024;
        int[] tokenCounts = {1, 4, 8, 16};
        double seconds = 0.4;
        int rounds = 5;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--rows" -> rows = Integer.parseInt(args[i + 1]);
                case "--cols" -> cols = Integer.parseInt(args[i + 1]);
                case "--tokens" -> tokenCounts = Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt)
                        .toArray();
                case "--seconds" -> seconds = Double.parseDouble(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate((long) rows * cols * 2, 64);
            SplittableRandom rnd = new SplittableRandom(1);
            for (long i = 0; i < (long) rows * cols; i++) {
                float f = (float) (rnd.nextGaussian() * 0.05);
                seg.set(VectorKernels.SHORT_LE, i * 2, (short) (Float.floatToRawIntBits(f) >>> 16));
            }
            Tensor tensor = new Tensor("w", DType.BF16, new long[] {rows, cols}, seg, Path.of("bench"));
            Matrix rowMajor = Matrix.of(tensor, arena);
            long t0 = System.nanoTime();
            Matrix panels;
            try (WorkerPool pool = new WorkerPool(1, "bench")) {
                panels = Matrix.forMatmul(tensor, arena, pool);
            }
            if (panels.panels == null) {
                throw new IllegalStateException("packing is switched off (-Dfairlane.cpu.panels=false)");
            }
            System.out.printf(Locale.ROOT, "matrix %d x %d bf16 (%.1f MB), packed in %.2f s, vector lanes %d%n",
                    rows, cols, rows * (double) cols * 2 / 1e6, (System.nanoTime() - t0) / 1e9, VectorKernels.L);
            int maxTokens = Arrays.stream(tokenCounts).max().orElseThrow();
            float[] x = new float[maxTokens * cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            float[] rowBuf = VectorKernels.rowScratch(cols);
            float[] acc = PanelKernels.accScratch();
            int fRows = rows;
            List<Kernel> kernels = List.of(
                    new Kernel("row-major dot 2x4", (t, out) -> VectorKernels.matmul(rowMajor, x, t, out, fRows, 0, 0,
                            fRows, rowBuf, acc)),
                    new Kernel("panels outer-product", (t, out) -> VectorKernels.matmul(panels, x, t, out, fRows, 0, 0,
                            fRows, rowBuf, acc)));
            float[][] outs = {new float[maxTokens * rows], new float[maxTokens * rows]};
            for (int tokens : tokenCounts) {
                check(kernels, tokens, rows, outs);
                double[] best = new double[kernels.size()];
                for (int round = 0; round < rounds; round++) {
                    for (int k = 0; k < kernels.size(); k++) {
                        long iters = 0;
                        long start = mx.getCurrentThreadCpuTime();
                        long spent;
                        do {
                            kernels.get(k).body.run(tokens, outs[k]);
                            iters++;
                            spent = mx.getCurrentThreadCpuTime() - start;
                        } while (spent < seconds * 1e9);
                        best[k] = Math.max(best[k], (double) rows * cols * tokens * iters / spent);
                    }
                }
                for (int k = 0; k < kernels.size(); k++) {
                    System.out.printf(Locale.ROOT, "RESULT kernel=\"%s\" rows=%d cols=%d tokens=%d"
                            + " gmac_per_cpu_s=%.2f weight_gb_per_cpu_s=%.2f%n", kernels.get(k).name, rows, cols,
                            tokens, best[k], best[k] * 2 / tokens);
                }
                System.out.printf(Locale.ROOT, "RATIO rows=%d cols=%d tokens=%d panels_vs_row_major=%.2f%n", rows,
                        cols, tokens, best[1] / best[0]);
            }
        }
    }

    /** Sanity before timing: the two kernels agree within 1e-4 of the output scale. */
    private static void check(List<Kernel> kernels, int tokens, int rows, float[][] outs) {
        kernels.get(0).body.run(tokens, outs[0]);
        kernels.get(1).body.run(tokens, outs[1]);
        double err = 0;
        double scale = 0;
        for (int i = 0; i < tokens * rows; i++) {
            err = Math.max(err, Math.abs(outs[0][i] - outs[1][i]));
            scale = Math.max(scale, Math.abs(outs[0][i]));
        }
        if (err > 1e-4 * scale) {
            throw new AssertionError("kernels disagree at " + tokens + " tokens: " + err + " of " + scale);
        }
    }

    private record Kernel(String name, Body body) {
    }

    @FunctionalInterface
    private interface Body {
        void run(int tokens, float[] out);
    }
}
