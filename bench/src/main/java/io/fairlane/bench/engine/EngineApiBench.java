package io.fairlane.bench.engine;

import io.fairlane.engine.EngineConfig;
import io.fairlane.engine.Engines;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.InferenceEngine;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.model.SyntheticModels;
import io.fairlane.engine.tokenizer.BuiltinTokenizer;
import io.fairlane.scheduler.Policy;
import io.fairlane.scheduler.SchedulerStats;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.TenantSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The prefix-cache and batching scenarios of {@link EngineBench}, driven through the engine API in-process
 * ({@code Engines.open}, {@code submit}) instead of HTTP: no network, no JSON, no gateway. The first measurement
 * before the gateway's local lane existed, and a way to separate engine time from gateway time.
 *
 * <p>Run: {@code bench/engine/run-engine-api.sh [scenario] [--key value ...]} (it builds the classpath).
 * {@code model-dir} only writes the benchmark model and prints its directory ({@code run-http.sh} serves it).
 * TTFT is measured from {@code submit} to the first {@code Token} event.
 */
public final class EngineApiBench {

    private final Map<String, String> opts;
    private final Random random;
    private final int vocab = BuiltinTokenizer.VOCAB_SIZE;
    private final AtomicInteger ids = new AtomicInteger();

    private EngineApiBench(Map<String, String> opts) {
        this.opts = opts;
        this.random = new Random(Long.parseLong(opt("seed", "1")));
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            opts.put(args[i].substring(2), args[i + 1]);
        }
        EngineApiBench bench = new EngineApiBench(opts);
        switch (args.length == 0 ? "all" : args[0]) {
            case "prefix" -> bench.prefix();
            case "concurrency" -> bench.concurrency();
            case "fairness" -> bench.fairness();
            case "model-dir" -> System.out.println(bench.model().toAbsolutePath()); // for run-http.sh
            case "all" -> {
                bench.prefix();
                bench.concurrency();
                bench.fairness();
            }
            default -> throw new IllegalArgumentException("unknown scenario " + args[0]);
        }
        System.exit(0);
    }

    private String opt(String key, String fallback) {
        return opts.getOrDefault(key, fallback);
    }

    private int intOpt(String key, int fallback) {
        return Integer.parseInt(opt(key, Integer.toString(fallback)));
    }

    /**
     * The benchmark model: synthetic {@code --shape} (default llama-110m, bf16) with the built-in tokenizer, its
     * context raised to {@code --context} (plain RoPE extrapolates to any position; the weights are random, so
     * only timing matters).
     */
    private Path model() throws Exception {
        return model(Path.of(opt("model-root", "target/bench-models")), opt("shape", "llama-110m"),
                opt("dtype", "bf16"), intOpt("context", 8192));
    }

    /**
     * Synthetic {@code shape} in {@code dtype} with the built-in tokenizer under {@code root}, its context raised to
     * {@code context}; written once, then reused.
     */
    static Path model(Path root, String shape, String dtype, int context) throws Exception {
        Path dir = root.resolve(shape + "-" + dtype + "-ctx" + context);
        if (!Files.isDirectory(dir)) {
            Path tok = root.resolve("builtin-tokenizer");
            BuiltinTokenizer.writeTo(tok);
            Path base = SyntheticModels.materialize(shape, dtype, 1, tok, root.resolve(shape + "-" + dtype));
            Path tmp = root.resolve(dir.getFileName() + ".tmp");
            Files.createDirectories(tmp);
            try (var files = Files.list(base)) {
                for (Path f : files.toList()) {
                    Files.copy(f, tmp.resolve(f.getFileName()));
                }
            }
            Path config = tmp.resolve("config.json");
            String json = Files.readString(config).replaceAll("\"max_position_embeddings\"\\s*:\\s*\\d+",
                    "\"max_position_embeddings\": " + context);
            Files.writeString(config, json);
            Files.move(tmp, dir);
        }
        return dir;
    }

    private InferenceEngine open(Policy policy, List<TenantSpec> tenants) throws Exception {
        EngineConfig config = new EngineConfig("bench", new EngineConfig.ModelSource.Directory(model()), "cpu",
                List.of(), 16, Long.parseLong(opt("kv-bytes", Long.toString(768L << 20))), 0.9,
                intOpt("max-batch-tokens", 2048), intOpt("max-running", 32), intOpt("threads", 0), policy, tenants);
        return Engines.open(config, SchedulerStats.disabled());
    }

    private int[] tokens(int n, Random r) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = 10 + r.nextInt(vocab - 300); // clear of the special and added tokens at the top
        }
        return out;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    record Result(double ttftMillis, int completionTokens, int cachedTokens) {
    }

    /** Submits one generation and completes with its TTFT and usage. */
    private CompletableFuture<Result> submit(InferenceEngine engine, String tenant, int[] prompt, int maxTokens) {
        CompletableFuture<Result> done = new CompletableFuture<>();
        long start = System.nanoTime();
        long[] first = {-1};
        SamplingParams params = new SamplingParams(0, 1, 0, 0, OptionalLong.empty(), 0, 0, Map.of(), false, 0,
                maxTokens, List.of(), true);
        engine.submit(new GenerationRequest("b" + ids.incrementAndGet(), tenant, ServiceTier.DEFAULT, tenant,
                new PreparedPrompt(prompt, ""), params, 1), event -> {
                    switch (event) {
                        case TokenEvent.Token t -> {
                            if (first[0] < 0) {
                                first[0] = System.nanoTime();
                            }
                        }
                        case TokenEvent.Finished f -> done.complete(new Result((first[0] - start) / 1e6,
                                f.usage().completionTokens(), f.usage().cachedTokens()));
                        case TokenEvent.Failed f -> done.completeExceptionally(f.error());
                        default -> {
                        }
                    }
                });
        return done;
    }

    private void prefix() throws Exception {
        int prefix = intOpt("prefix", 4000);
        int suffix = intOpt("suffix", 16);
        int repeats = intOpt("repeats", 3);
        try (InferenceEngine engine = open(new Policy.Fcfs(), List.of(TenantSpec.of("a", 1)))) {
            submit(engine, "a", tokens(64, random), 2).get();
            List<Double> cold = new ArrayList<>();
            List<Double> warm = new ArrayList<>();
            List<Integer> cached = new ArrayList<>();
            for (int r = 0; r < repeats; r++) {
                int[] head = tokens(prefix, random);
                cold.add(submit(engine, "a", concat(head, tokens(suffix, random)), 1).get().ttftMillis());
                Result hit = submit(engine, "a", concat(head, tokens(suffix, random)), 1).get();
                warm.add(hit.ttftMillis());
                cached.add(hit.cachedTokens());
            }
            System.out.printf(Locale.ROOT, "[prefix] prefix_tokens=%d suffix_tokens=%d repeats=%d%n", prefix, suffix,
                    repeats);
            System.out.printf(Locale.ROOT, "[prefix] ttft_cold_ms median=%.1f all=%s%n", pct(cold, 50), fmt(cold));
            System.out.printf(Locale.ROOT, "[prefix] ttft_cached_ms median=%.1f all=%s cached_tokens=%s%n",
                    pct(warm, 50), fmt(warm), cached);
            System.out.printf(Locale.ROOT, "[prefix] speedup=%.1f%n", pct(cold, 50) / pct(warm, 50));
        }
    }

    private void concurrency() throws Exception {
        int streams = intOpt("streams", 16);
        int promptTokens = intOpt("prompt", 128);
        int maxTokens = intOpt("max-tokens", 128);
        try (InferenceEngine engine = open(new Policy.Fcfs(), List.of(TenantSpec.of("a", 1)))) {
            submit(engine, "a", tokens(64, random), 8).get();
            long t0 = System.nanoTime();
            long seqTokens = 0;
            for (int i = 0; i < streams; i++) {
                seqTokens += submit(engine, "a", tokens(promptTokens, random), maxTokens).get().completionTokens();
            }
            double seqSeconds = (System.nanoTime() - t0) / 1e9;
            List<CompletableFuture<Result>> all = new ArrayList<>();
            long t1 = System.nanoTime();
            for (int i = 0; i < streams; i++) {
                all.add(submit(engine, "a", tokens(promptTokens, random), maxTokens));
            }
            long conTokens = 0;
            for (CompletableFuture<Result> f : all) {
                conTokens += f.get().completionTokens();
            }
            double conSeconds = (System.nanoTime() - t1) / 1e9;
            System.out.printf(Locale.ROOT, "[concurrency] streams=%d prompt_tokens=%d max_tokens=%d%n", streams,
                    promptTokens, maxTokens);
            System.out.printf(Locale.ROOT, "[concurrency] one_at_a_time tokens=%d seconds=%.2f tokens_per_s=%.1f%n",
                    seqTokens, seqSeconds, seqTokens / seqSeconds);
            System.out.printf(Locale.ROOT, "[concurrency] concurrent tokens=%d seconds=%.2f tokens_per_s=%.1f%n",
                    conTokens, conSeconds, conTokens / conSeconds);
            System.out.printf(Locale.ROOT, "[concurrency] speedup=%.2f%n",
                    (conTokens / conSeconds) / (seqTokens / seqSeconds));
        }
    }

    private void fairness() throws Exception {
        double lightRps = Double.parseDouble(opt("light-rps", "1"));
        double ratio = Double.parseDouble(opt("ratio", "10"));
        int seconds = intOpt("seconds", 60);
        int promptTokens = intOpt("fair-prompt", 256);
        int maxTokens = intOpt("fair-max-tokens", 32);
        long quantum = intOpt("quantum", 4096);
        List<TenantSpec> tenants = List.of(TenantSpec.of("light", 1), TenantSpec.of("heavy", 1));
        List<Policy> policies = new ArrayList<>();
        for (String name : opt("policies", "fcfs,drr").split(",")) {
            policies.add(switch (name) {
                case "fcfs" -> new Policy.Fcfs();
                case "drr" -> new Policy.DeficitRoundRobin(quantum);
                case "vtc" -> new Policy.VirtualTokenCounter();
                case "dlpm" -> new Policy.DeficitLongestPrefixMatch(quantum);
                default -> throw new IllegalArgumentException("unknown policy " + name);
            });
        }
        for (Policy policy : policies) {
            try (InferenceEngine engine = open(policy, tenants)) {
                submit(engine, "light", tokens(64, random), 4).get();
                // Warm-up at full load (JIT, allocator, caches), discarded.
                load(engine, lightRps, lightRps * ratio, intOpt("warmup-seconds", 10), promptTokens, maxTokens);
                List<Double> solo = load(engine, lightRps, 0, seconds, promptTokens, maxTokens).get("light");
                Map<String, List<Double>> both = load(engine, lightRps, lightRps * ratio, seconds, promptTokens,
                        maxTokens);
                String name = policy.getClass().getSimpleName();
                System.out.printf(Locale.ROOT, "[fairness %s] light_rps=%.2f heavy_rps=%.2f seconds=%d prompt=%d "
                        + "max_tokens=%d%n", name, lightRps, lightRps * ratio, seconds, promptTokens, maxTokens);
                System.out.printf(Locale.ROOT, "[fairness %s] light_solo n=%d p50=%.1f p99=%.1f ms%n", name,
                        solo.size(), pct(solo, 50), pct(solo, 99));
                List<Double> light = both.get("light");
                List<Double> heavy = both.get("heavy");
                System.out.printf(Locale.ROOT, "[fairness %s] light_with_heavy n=%d p50=%.1f p99=%.1f ms%n", name,
                        light.size(), pct(light, 50), pct(light, 99));
                System.out.printf(Locale.ROOT, "[fairness %s] heavy n=%d p50=%.1f p99=%.1f ms%n", name, heavy.size(),
                        pct(heavy, 50), pct(heavy, 99));
                System.out.printf(Locale.ROOT, "[fairness %s] light_p99_ratio=%.2f preemptions=%d%n", name,
                        pct(light, 99) / pct(solo, 99), engine.snapshot().preemptions());
            }
        }
    }

    /** Poisson arrivals for both tenants over {@code seconds}; waits for all; TTFTs per tenant. */
    private Map<String, List<Double>> load(InferenceEngine engine, double lightRps, double heavyRps, int seconds,
                                           int promptTokens, int maxTokens) throws Exception {
        Map<String, ConcurrentLinkedQueue<Double>> ttft = Map.of("light", new ConcurrentLinkedQueue<>(),
                "heavy", new ConcurrentLinkedQueue<>());
        ConcurrentLinkedQueue<CompletableFuture<Void>> inFlight = new ConcurrentLinkedQueue<>();
        Thread light = Thread.ofVirtual().start(() -> arrive(engine, "light", lightRps, seconds, promptTokens,
                maxTokens, ttft.get("light"), inFlight, new Random(random.nextLong())));
        Thread heavy = heavyRps > 0 ? Thread.ofVirtual().start(() -> arrive(engine, "heavy", heavyRps, seconds,
                promptTokens, maxTokens, ttft.get("heavy"), inFlight, new Random(random.nextLong()))) : null;
        light.join();
        if (heavy != null) {
            heavy.join();
        }
        for (CompletableFuture<Void> f : inFlight) {
            f.get(10, TimeUnit.MINUTES);
        }
        return Map.of("light", List.copyOf(ttft.get("light")), "heavy", List.copyOf(ttft.get("heavy")));
    }

    private void arrive(InferenceEngine engine, String tenant, double rps, int seconds, int promptTokens,
                        int maxTokens, ConcurrentLinkedQueue<Double> out,
                        ConcurrentLinkedQueue<CompletableFuture<Void>> inFlight, Random r) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long next = System.nanoTime();
        while (true) {
            next += (long) (-Math.log(1 - r.nextDouble()) / rps * 1e9);
            if (next > end) {
                return;
            }
            long wait = next - System.nanoTime();
            if (wait > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } catch (InterruptedException e) {
                    return;
                }
            }
            inFlight.add(submit(engine, tenant, tokens(promptTokens, r), maxTokens)
                    .thenAccept(res -> out.add(res.ttftMillis())));
        }
    }

    private static double pct(List<Double> xs, double p) {
        if (xs.isEmpty()) {
            return Double.NaN;
        }
        double[] sorted = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    private static String fmt(List<Double> xs) {
        return xs.stream().map(x -> String.format(Locale.ROOT, "%.0f", x)).toList().toString().replace(" ", "");
    }
}
