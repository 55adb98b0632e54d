package io.fairlane.engine.cuda;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The GPU runbook's measurements of Fairlane's CUDA execution on a named model shape with random bf16 weights:
 * decode tokens/s at several batch sizes (CUDA graphs on, host round trip per step as in the engine loop),
 * prefill tokens/s of one 2k-token prompt, and time to first token of a prompt with and without its 8k-token
 * prefix already in the KV cache. Writes one JSON object; bench/gpu/run-all.sh runs it and builds the table.
 *
 * <pre>java ... io.fairlane.engine.cuda.GpuBenchmark --shape llama-3.2-1b --out results.json</pre>
 */
public final class GpuBenchmark {

    private GpuBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = parse(args);
        CudaProbe.Result probe = CudaProbe.probe();
        if (!probe.usable()) {
            System.err.println("GpuBenchmark: " + probe.summary());
            System.exit(2);
        }
        String shape = a.getOrDefault("shape", "llama-3.2-1b");
        CudaModelSpec base = RandomWeights.shape(shape);
        int[] batches = Arrays.stream(a.getOrDefault("batches", "1,8,64,256").split(",")).mapToInt(Integer::parseInt)
                .toArray();
        int decodeSteps = Integer.parseInt(a.getOrDefault("decode-steps", "64"));
        int promptLen = Integer.parseInt(a.getOrDefault("prompt", "128"));
        int prefillLen = Integer.parseInt(a.getOrDefault("prefill", "2048"));
        int prefixLen = Integer.parseInt(a.getOrDefault("prefix", "8192"));
        int suffixLen = Integer.parseInt(a.getOrDefault("suffix", "64"));
        int maxTokens = Integer.parseInt(a.getOrDefault("max-tokens", "8192"));
        int context = 16384;
        CudaModelSpec spec = new CudaModelSpec(base.family(), base.hiddenSize(), base.intermediateSize(), base.layers(),
                base.heads(), base.kvHeads(), base.headDim(), base.vocabSize(), base.rmsNormEps(), base.qkvBias(),
                base.outputBias(), base.qkNorm(), base.tiedEmbeddings(), 0, base.ropeInverseFrequencies(), false, context);
        ObjectMapper json = new ObjectMapper();
        ObjectNode out = json.createObjectNode();
        out.put("shape", shape);
        out.put("date", java.time.Instant.now().toString());
        long t0 = System.nanoTime();
        try (CudaExecution exec = CudaExecution.open(0, spec, new RandomWeights(spec, 1),
                new CudaExecution.Limits(16, 0, 0.9, maxTokens, 256, true))) {
            out.put("device", exec.describe());
            out.put("load_seconds", (System.nanoTime() - t0) / 1e9);
            out.put("weight_bytes", DeviceWeights.deviceBytes(spec));
            out.put("kv_blocks", exec.kvBlocks());
            Bench b = new Bench(exec.runner(), exec.kvBlocks(), spec.vocabSize());
            b.decode(batches[0], promptLen, 8);  // warm-up: module JIT, cuBLAS heuristics, first graphs
            ObjectNode decode = out.putObject("decode");
            for (int batch : batches) {
                double[] r = b.decode(batch, promptLen, decodeSteps);
                ObjectNode d = decode.putObject(Integer.toString(batch));
                d.put("tokens_per_second", r[0]);
                d.put("ms_per_step", r[1]);
                System.out.printf("decode batch %d: %.1f tok/s (%.3f ms/step)%n", batch, r[0], r[1]);
            }
            double prefill = b.prefill(prefillLen, 5);
            out.put("prefill_tokens", prefillLen);
            out.put("prefill_tokens_per_second", prefill);
            System.out.printf("prefill %d: %.0f tok/s%n", prefillLen, prefill);
            double[] ttft = b.ttft(prefixLen, suffixLen, maxTokens, 3);
            out.put("ttft_prefix_tokens", prefixLen);
            out.put("ttft_suffix_tokens", suffixLen);
            out.put("ttft_cold_ms", ttft[0]);
            out.put("ttft_cached_ms", ttft[1]);
            System.out.printf("TTFT %d+%d tokens: cold %.1f ms, cached prefix %.1f ms%n", prefixLen, suffixLen, ttft[0],
                    ttft[1]);
            out.put("graph_replays", exec.runner().graphReplays());
            out.put("captured_graphs", exec.runner().capturedGraphs());
        }
        Path file = Path.of(a.getOrDefault("out", "gpu-benchmark-" + shape + ".json"));
        json.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), out);
        System.out.println("wrote " + file);
    }

    /** Runs scenarios with a trivial block allocator (everything is released between scenarios). */
    static final class Bench {
        private final CudaModelRunner runner;
        private final int blocks;
        private final int vocab;
        private final Random rnd = new Random(7);
        private int next;

        Bench(CudaModelRunner runner, int blocks, int vocab) {
            this.runner = runner;
            this.blocks = blocks;
            this.vocab = vocab;
        }

        int[] take(int n) {
            if (next + n > blocks) {
                throw new IllegalStateException("benchmark needs more KV blocks than the pool has (" + blocks + ")");
            }
            int[] t = new int[n];
            for (int i = 0; i < n; i++) {
                t[i] = next++;
            }
            return t;
        }

        int[] tokens(int n) {
            int[] t = new int[n];
            for (int i = 0; i < n; i++) {
                t[i] = rnd.nextInt(vocab);
            }
            return t;
        }

        /** @return {tokens per second, ms per step} over {@code steps} decode steps of {@code batch} sequences */
        double[] decode(int batch, int prompt, int steps) {
            next = 0;
            StepSequence.SampleSpec greedy = StepSequence.SampleSpec.greedy();
            int[][] tables = new int[batch][];
            int[] last = new int[batch];
            int perStep = Math.max(1, runner.maxTokens() / prompt);
            for (int s0 = 0; s0 < batch; s0 += perStep) {
                List<StepSequence> step = new ArrayList<>();
                for (int s = s0; s < Math.min(batch, s0 + perStep); s++) {
                    tables[s] = take((prompt + steps + 8 + 15) / 16 + 1);
                    step.add(StepSequence.sample(tokens(prompt), 0, tables[s], greedy));
                }
                StepResult r = runner.step(step);
                for (int i = 0; i < step.size(); i++) {
                    last[s0 + i] = r.token(i);
                }
            }
            int position = prompt;
            long start = 0;
            for (int i = -4; i < steps; i++) {  // 4 untimed steps capture and warm this batch's graph
                if (i == 0) {
                    start = System.nanoTime();
                }
                List<StepSequence> step = new ArrayList<>(batch);
                for (int s = 0; s < batch; s++) {
                    step.add(StepSequence.sample(new int[] {last[s]}, position, tables[s], greedy));
                }
                StepResult r = runner.step(step);
                for (int s = 0; s < batch; s++) {
                    last[s] = r.token(s);
                }
                position++;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new double[] {batch * steps / seconds, seconds * 1000 / steps};
        }

        /** Median tokens per second of one prompt of {@code length} tokens in one step. */
        double prefill(int length, int reps) {
            double[] times = new double[reps];
            for (int r = 0; r < reps + 1; r++) {
                next = 0;
                int[] table = take((length + 15) / 16);
                long t = System.nanoTime();
                runner.step(List.of(StepSequence.sample(tokens(length), 0, table, StepSequence.SampleSpec.greedy())));
                if (r > 0) {
                    times[r - 1] = (System.nanoTime() - t) / 1e9;
                }
            }
            Arrays.sort(times);
            return length / times[reps / 2];
        }

        /** Median {cold, cached-prefix} milliseconds to the first sampled token. */
        double[] ttft(int prefix, int suffix, int chunk, int reps) {
            if (prefix % 16 != 0) {
                throw new IllegalArgumentException("prefix must fill whole 16-token blocks");
            }
            int[] prompt = tokens(prefix + suffix);
            StepSequence.SampleSpec greedy = StepSequence.SampleSpec.greedy();
            double[] cold = new double[reps];
            double[] cached = new double[reps];
            for (int r = 0; r < reps; r++) {
                next = 0;
                int[] table = take((prefix + suffix + 15) / 16);
                long t = System.nanoTime();
                for (int at = 0; at < prompt.length; at += chunk) {
                    int n = Math.min(chunk, prompt.length - at);
                    int[] part = Arrays.copyOfRange(prompt, at, at + n);
                    boolean lastChunk = at + n == prompt.length;
                    runner.step(List.of(new StepSequence(part, at, table, lastChunk ? StepSequence.Output.SAMPLE
                            : StepSequence.Output.NONE, lastChunk ? greedy : null, null, null)));
                }
                cold[r] = (System.nanoTime() - t) / 1e6;
                // the same prompt again, its prefix blocks now cached: only the suffix is computed
                int[] hit = Arrays.copyOf(table, table.length);
                int[] fresh = take((prefix + suffix + 15) / 16 - prefix / 16);
                System.arraycopy(fresh, 0, hit, prefix / 16, fresh.length);
                t = System.nanoTime();
                runner.step(List.of(StepSequence.sample(Arrays.copyOfRange(prompt, prefix, prefix + suffix), prefix, hit,
                        greedy)));
                cached[r] = (System.nanoTime() - t) / 1e6;
            }
            Arrays.sort(cold);
            Arrays.sort(cached);
            return new double[] {cold[reps / 2], cached[reps / 2]};
        }
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --name value pairs, got " + args[i]);
            }
            m.put(args[i].substring(2), args[i + 1]);
        }
        return m;
    }
}
