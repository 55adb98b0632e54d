package io.fairlane.bench.engine;

import io.fairlane.bench.BenchArgs;
import io.fairlane.bench.BenchArgs.UsageException;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.exec.BackendOptions;
import io.fairlane.engine.exec.BatchInput;
import io.fairlane.engine.exec.CpuBackend;
import io.fairlane.engine.exec.KvLayout;
import io.fairlane.engine.exec.SequenceInput;
import io.fairlane.engine.exec.StepResult;
import io.fairlane.engine.model.LayerWeights;
import io.fairlane.engine.model.Model;
import io.fairlane.engine.model.ModelConfig;
import io.fairlane.engine.model.ModelFormatException;
import io.fairlane.engine.model.ModelWeights;
import io.fairlane.engine.model.Tensor;
import io.fairlane.engine.sampling.SamplingState;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.DoubleAdder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU engine's benchmarks, run by {@code bench/cpu/run.sh}:
 * <ul>
 *   <li>{@code bench}: decode throughput. B sequences are prefilled with random prompts, then decoded together
 *       step after step (greedy, one token each per step, weights read once per step); tokens/s = B × steps /
 *       time. Also prints the weight bytes each step reads divided by the step time: the effective weight
 *       bandwidth, to compare with {@code bandwidth}.</li>
 *   <li>{@code bandwidth}: memory read bandwidth of this machine, with the same thread count and the same kind of
 *       loads (Vector API reads of an off-heap segment far larger than the caches), best of several passes.</li>
 * </ul>
 * Every result line starts with {@code RESULT} and holds {@code key=value} pairs for scripts. Exit status: 0 done,
 * 1 failed, 2 bad usage.
 */
public final class CpuBench {

    static final String USAGE = """
            usage: CpuBench <command> [options]
              bench --model DIR [--batch 1,16] [--tokens N] [--prompt N] [--threads N] [--warmup N]
                                        CPU decode tokens/s at each batch size
              bandwidth [--gib N] [--threads N] [--seconds S]
                                        memory read bandwidth, for comparing decode against
            """;

    private CpuBench() {
    }

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs a command; returns the exit status. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
            (args.length == 0 ? err : out).print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        List<String> rest = List.of(args).subList(1, args.length);
        try {
            return switch (args[0]) {
                case "bench" -> bench(BenchArgs.parse(rest, Set.of("model", "batch", "tokens", "prompt", "threads",
                        "warmup")), out);
                case "bandwidth" -> bandwidth(BenchArgs.parse(rest, Set.of("gib", "threads", "seconds")), out);
                default -> throw new UsageException("unknown command '" + args[0] + "'");
            };
        } catch (UsageException e) {
            err.println("CpuBench: " + e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (IllegalArgumentException | ModelFormatException | UncheckedIOException e) {
            err.println("CpuBench: " + e.getMessage());
            return 1;
        }
    }

    static int bench(BenchArgs o, PrintStream out) {
        Path dir = Path.of(o.required("model"));
        List<Integer> batches = o.intList("batch", List.of(1, 16));
        int steps = (int) o.longValue("tokens", 32);
        int prompt = (int) o.longValue("prompt", 16);
        int warmup = (int) o.longValue("warmup", 8);
        int threads = (int) o.longValue("threads", 0);
        if (steps <= 0 || prompt <= 0 || warmup < 0 || threads < 0) {
            throw new UsageException("--tokens and --prompt must be positive, --warmup and --threads >= 0");
        }
        int maxBatch = batches.stream().mapToInt(Integer::intValue).max().orElseThrow();
        Model model = Model.open(dir);
        ModelConfig c = model.config();
        int positions = prompt + warmup + steps + 1;
        KvLayout layout = KvLayout.of(c, 16, 4);
        int blocksPerSeq = layout.blocksFor(positions);
        long kvBytes = layout.bytesPerBlock() * blocksPerSeq * maxBatch;
        BackendOptions options = BackendOptions.cpu(kvBytes).withThreads(threads);
        long weightBytes = weightBytesPerStep(model.weights());
        try (CpuBackend backend = CpuBackend.open(model, options)) {
            out.printf(Locale.ROOT, "model %s: %s, %,d parameters, %.1f MB of weights read per decode step%n", dir,
                    c.family().modelType(), c.parameterCount(), weightBytes / 1e6);
            out.printf(Locale.ROOT, "backend %s%n", backend.describe());
            for (int batch : batches) {
                runBatch(backend, batch, prompt, warmup, steps, blocksPerSeq, weightBytes, dir, out);
            }
        }
        return 0;
    }

    /** Bytes a decode step streams: every linear layer plus the output matrix (embedding rows are negligible). */
    static long weightBytesPerStep(ModelWeights w) {
        long n = w.output().data().byteSize();
        for (LayerWeights l : w.layers()) {
            for (Tensor t : new Tensor[] {l.q(), l.k(), l.v(), l.o(), l.gate(), l.up(), l.down()}) {
                n += t.data().byteSize();
            }
        }
        return n;
    }

    private static void runBatch(CpuBackend backend, int batch, int prompt, int warmup, int steps, int blocksPerSeq,
                                 long weightBytes, Path dir, PrintStream out) {
        SplittableRandom rnd = new SplittableRandom(batch);
        int vocab = backend.config().vocabSize();
        int[][] tables = new int[batch][blocksPerSeq];
        SamplingState[] states = new SamplingState[batch];
        int[] next = new int[batch];
        for (int i = 0; i < batch; i++) {
            for (int b = 0; b < blocksPerSeq; b++) {
                tables[i][b] = i * blocksPerSeq + b;
            }
            states[i] = SamplingState.of(SamplingParams.greedy(steps + warmup + 1), 0L, 0);
            int[] p = new int[prompt];
            for (int j = 0; j < prompt; j++) {
                p[j] = rnd.nextInt(vocab);
            }
            StepResult r = backend.step(BatchInput.of(SequenceInput.sample(p, 0, tables[i], states[i])));
            next[i] = r.token(0);
        }
        int pos = prompt;
        long start = 0;
        long cpuStart = 0;
        for (int s = 0; s < warmup + steps; s++) {
            if (s == warmup) {
                start = System.nanoTime();
                cpuStart = processCpuNanos();
            }
            List<SequenceInput> seqs = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) {
                seqs.add(SequenceInput.sample(new int[] {next[i]}, pos, tables[i], states[i]));
            }
            StepResult r = backend.step(new BatchInput(seqs));
            for (int i = 0; i < batch; i++) {
                next[i] = r.token(i);
                states[i].accept(next[i]);
            }
            pos++;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (processCpuNanos() - cpuStart) / 1e9;
        double tokensPerSecond = batch * steps / seconds;
        double msPerStep = seconds * 1000 / steps;
        double weightGbs = weightBytes * (double) steps / seconds / 1e9;
        // CPU time the process got over wall time × workers: below ~0.9 the machine was busy with something else
        // and wall-clock figures understate what the engine does on an idle machine.
        double share = cpuSeconds / (seconds * backend.threads());
        out.printf(Locale.ROOT, "RESULT model=%s batch=%d steps=%d tok_s=%.2f ms_step=%.2f weight_gb_s=%.2f"
                        + " cpu_share=%.2f tok_per_cpu_s=%.2f%n", dir.getFileName(), batch, steps, tokensPerSecond,
                msPerStep, weightGbs, share, batch * steps / cpuSeconds);
    }

    private static long processCpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    static int bandwidth(BenchArgs o, PrintStream out) {
        long gib = o.longValue("gib", 2);
        int threads = (int) o.longValue("threads", Runtime.getRuntime().availableProcessors());
        double seconds = o.doubleValue("seconds", 6);
        if (gib <= 0 || threads <= 0 || !(seconds > 0)) {
            throw new UsageException("--gib, --threads and --seconds must be positive");
        }
        long bytes = gib << 30;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment seg = arena.allocate(bytes, 4096);
            // Touch every page with non-zero data so reads hit real memory, not the shared zero page.
            long words = bytes / 8;
            for (long i = 0; i < words; i += 512) {
                seg.setAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG, i, i);
            }
            double best = 0;
            double sink = 0;
            long deadline = System.nanoTime() + (long) (seconds * 1e9);
            int passes = 0;
            while (System.nanoTime() < deadline || passes < 3) {
                DoubleAdder sum = new DoubleAdder();
                long t0 = System.nanoTime();
                readAll(seg, threads, sum);
                double dt = (System.nanoTime() - t0) / 1e9;
                best = Math.max(best, bytes / dt / 1e9);
                sink += sum.sum();
                passes++;
            }
            out.printf(Locale.ROOT, "RESULT bandwidth_read_gb_s=%.2f threads=%d buffer_gib=%d passes=%d (checksum %s)%n",
                    best, threads, gib, passes, sink == 42 ? "!" : "ok");
        }
        return 0;
    }

    private static void readAll(MemorySegment seg, int threads, DoubleAdder sum) {
        long slice = (seg.byteSize() / threads) & ~4095L;
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            long from = t * slice;
            long to = t == threads - 1 ? seg.byteSize() : from + slice;
            Thread.ofPlatform().start(() -> {
                sum.add(readSlice(seg, from, to));
                done.countDown();
            });
        }
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Sums the floats of [from, to) with four independent vector accumulators. */
    private static double readSlice(MemorySegment seg, long from, long to) {
        int step = F.vectorByteSize();
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        long i = from;
        for (; i + 4L * step <= to; i += 4L * step) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, seg, i, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(F, seg, i + step, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(F, seg, i + 2L * step, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(F, seg, i + 3L * step, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }
}
