package io.fairlane.bench.engine;

import io.fairlane.bench.BenchArgs;
import io.fairlane.bench.gateway.EndToEndLoad;
import io.fairlane.engine.EngineConfig;
import io.fairlane.engine.EngineSnapshot;
import io.fairlane.engine.Engines;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.InferenceEngine;
import io.fairlane.engine.Preemption;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.tokenizer.BuiltinTokenizer;
import io.fairlane.scheduler.Policy;
import io.fairlane.scheduler.SchedulerStats;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.TenantSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A light tenant beside a neighbour that keeps many requests in flight, on the engine API in-process, with and
 * without preemption for a fair share: does the light tenant start within a step of arriving, and what does the
 * recompute cost in throughput?
 *
 * <p>Two tenants of equal weight on one CPU engine with few running slots ({@code --max-running}, default 4). The
 * neighbour ("heavy") is a closed loop of {@code --heavy-in-flight} clients (default 40), each sending its next
 * request as soon as the last one ends (64 prompt + 64 output tokens by default); "light" sends Poisson arrivals at
 * {@code --light-rps} (default 0.25/s, 64 + 32 tokens: rarely more than one in flight, well inside its share of two
 * slots). Both engine settings ({@code --preemption fair,none}) are opened at once and, after a discarded warm-up
 * each, measured in {@code --rounds} interleaved rounds (so a shift in the shared machine's load hits both alike),
 * each round three phases of {@code --seconds} per setting:
 * <ol>
 *   <li><b>solo</b>: light alone, the reference for TTFT;</li>
 *   <li><b>width</b>: heavy holds one slot fewer than the engine has (a closed loop of {@code max-running - 1}), so
 *       light always finds a slot and runs in a batch as wide as under contention, without waiting: the reference
 *       for end-to-end latency (batch slowdown without queueing);</li>
 *   <li><b>contended</b>: heavy at its full in-flight count beside light; total output tokens/s is counted here
 *       (tokens streamed inside the phase, all tenants).</li>
 * </ol>
 * Targets: under {@code fair}, light's p99 TTFT contended ≤ 1.5 × solo and its p99 end-to-end contended ≤ 1.5 ×
 * width; contended tokens/s under {@code fair} ≥ 90% of {@code none}'s. Latencies count from {@code submit};
 * requests are greedy with {@code ignore_eos}, so every one runs to its {@code max_tokens}.
 *
 * <p>Run: {@code bench/engine/run-preemption.sh [--option value ...]}; options below in {@link #KNOWN}.
 */
public final class FairPreemptionBench {

    static final Set<String> KNOWN = Set.of("shape", "dtype", "context", "model-root", "kv-bytes", "max-running",
            "max-batch-tokens", "threads", "policy", "quantum", "window", "prompt", "max-tokens", "light-prompt",
            "light-max-tokens", "light-rps", "heavy-in-flight", "seconds", "rounds", "warmup-seconds", "seed",
            "preemption");

    private final BenchArgs args;
    private final Random random;
    private final AtomicInteger ids = new AtomicInteger();
    private final int vocab = BuiltinTokenizer.VOCAB_SIZE - 300; // clear of the special tokens at the top

    private FairPreemptionBench(BenchArgs args) {
        this.args = args;
        this.random = new Random(args.longValue("seed", 1));
    }

    public static void main(String[] argv) throws Exception {
        BenchArgs args;
        try {
            args = BenchArgs.parse(List.of(argv), KNOWN);
        } catch (BenchArgs.UsageException e) {
            System.err.println(e.getMessage() + "; options: " + new java.util.TreeSet<>(KNOWN));
            System.exit(2);
            return;
        }
        new FairPreemptionBench(args).run();
        System.exit(0);
    }

    /** One phase's light-tenant latencies (ms), heavy's, total streamed tokens/s and preemption counts. */
    record Phase(String name, double[] lightTtft, double[] lightE2e, double[] heavyTtft, double tokensPerSecond,
                 double tokensPerCpuSecond, long fairShare, long kvCache, long recomputed) {

        /** The phases' samples together; tokens/s averaged, counts summed. */
        static Phase merge(String name, List<Phase> phases) {
            return new Phase(name, concat(phases, Phase::lightTtft), concat(phases, Phase::lightE2e),
                    concat(phases, Phase::heavyTtft),
                    phases.stream().mapToDouble(Phase::tokensPerSecond).average().orElse(Double.NaN),
                    phases.stream().mapToDouble(Phase::tokensPerCpuSecond).average().orElse(Double.NaN),
                    phases.stream().mapToLong(Phase::fairShare).sum(), phases.stream().mapToLong(Phase::kvCache).sum(),
                    phases.stream().mapToLong(Phase::recomputed).sum());
        }

        private static double[] concat(List<Phase> phases, java.util.function.Function<Phase, double[]> f) {
            return phases.stream().flatMapToDouble(p -> Arrays.stream(f.apply(p))).toArray();
        }

        String line(String setting) {
            return String.format(Locale.ROOT, "[%s %s] light n=%d ttft_p50=%.1f ttft_p99=%.1f e2e_p50=%.1f "
                            + "e2e_p99=%.1f ms; heavy n=%d ttft_p50=%.1f ttft_p99=%.1f ms; tokens_per_s=%.1f "
                            + "tokens_per_cpu_s=%.1f; preemptions fair_share=%d kv_cache=%d recomputed_tokens=%d",
                    setting, name, lightTtft.length, p(lightTtft, 50), p(lightTtft, 99), p(lightE2e, 50),
                    p(lightE2e, 99), heavyTtft.length, p(heavyTtft, 50), p(heavyTtft, 99), tokensPerSecond,
                    tokensPerCpuSecond, fairShare, kvCache, recomputed);
        }
    }

    static double p(double[] xs, double pct) {
        return EndToEndLoad.percentile(xs, pct);
    }

    private void run() throws Exception {
        int maxRunning = (int) args.longValue("max-running", 4);
        int seconds = (int) args.longValue("seconds", 30);
        int rounds = (int) args.longValue("rounds", 3);
        int warmup = (int) args.longValue("warmup-seconds", 15);
        int inFlight = (int) args.longValue("heavy-in-flight", 40);
        System.out.printf(Locale.ROOT, "[setup] shape=%s dtype=%s max_running=%d max_batch_tokens=%d policy=%s "
                        + "prompt=%d max_tokens=%d light_prompt=%d light_max_tokens=%d light_rps=%.2f "
                        + "heavy_in_flight=%d rounds=%d seconds=%d cores=%d%n",
                args.get("shape", "llama-110m"), args.get("dtype", "bf16"), maxRunning,
                args.longValue("max-batch-tokens", 2048), args.get("policy", "drr"), args.longValue("prompt", 64),
                args.longValue("max-tokens", 64), lightPrompt(), lightMaxTokens(), args.doubleValue("light-rps", 0.25),
                inFlight, rounds, seconds, Runtime.getRuntime().availableProcessors());
        // Both engines open at once and their phases interleaved round by round, so that a change in the machine's
        // load (it is shared) falls on both settings alike; an idle engine's loop only parks.
        Map<String, InferenceEngine> engines = new java.util.LinkedHashMap<>();
        Map<String, List<Phase>> results = new java.util.LinkedHashMap<>();
        try {
            for (String setting : args.get("preemption", "fair,none").split(",")) {
                InferenceEngine engine = open(setting.trim(), maxRunning);
                engines.put(setting.trim(), engine);
                phase(engine, "warmup", inFlight, warmup);
                results.put(setting.trim(), new ArrayList<>());
            }
            List<Map.Entry<String, Integer>> phases = List.of(Map.entry("solo", 0),
                    Map.entry("width", maxRunning - 1), Map.entry("contended", inFlight));
            for (int r = 1; r <= rounds; r++) {
                for (var e : engines.entrySet()) {
                    for (var spec : phases) {
                        Phase ph = phase(e.getValue(), spec.getKey(), spec.getValue(), seconds);
                        System.out.println(ph.line(e.getKey() + " round " + r));
                        results.get(e.getKey()).add(ph);
                    }
                }
            }
        } finally {
            for (InferenceEngine engine : engines.values()) {
                engine.close();
            }
        }
        Map<String, List<Phase>> merged = new java.util.LinkedHashMap<>();
        results.forEach((setting, list) -> {
            List<Phase> byName = new ArrayList<>();
            for (var spec : List.of("solo", "width", "contended")) {
                Phase m = Phase.merge(spec, list.stream().filter(p -> p.name().equals(spec)).toList());
                System.out.println(m.line(setting + " all rounds"));
                byName.add(m);
            }
            merged.put(setting, byName);
        });
        verdict(merged);
    }

    private void verdict(Map<String, List<Phase>> results) {
        List<Phase> fair = results.get("fair");
        if (fair == null) {
            return;
        }
        double ttft = p(fair.get(2).lightTtft(), 99) / p(fair.get(0).lightTtft(), 99);
        double e2e = p(fair.get(2).lightE2e(), 99) / p(fair.get(1).lightE2e(), 99);
        System.out.printf(Locale.ROOT, "[verdict] light p99 TTFT contended/solo = %.2f (target <= 1.5: %s)%n", ttft,
                ttft <= 1.5 ? "met" : "MISSED");
        System.out.printf(Locale.ROOT, "[verdict] light p99 e2e contended/width = %.2f (target <= 1.5: %s)%n", e2e,
                e2e <= 1.5 ? "met" : "MISSED");
        List<Phase> none = results.get("none");
        if (none != null) {
            double tokens = fair.get(2).tokensPerSecond() / none.get(2).tokensPerSecond();
            double perCpu = fair.get(2).tokensPerCpuSecond() / none.get(2).tokensPerCpuSecond();
            System.out.printf(Locale.ROOT, "[verdict] tokens/s contended fair/none = %.3f wall, %.3f per CPU-second "
                    + "(target >= 0.90: %s)%n", tokens, perCpu, Math.max(tokens, perCpu) >= 0.9 ? "met" : "MISSED");
            System.out.printf(Locale.ROOT, "[verdict] without preemption: light p99 TTFT contended/solo = %.2f, "
                            + "p99 e2e contended/width = %.2f%n",
                    p(none.get(2).lightTtft(), 99) / p(none.get(0).lightTtft(), 99),
                    p(none.get(2).lightE2e(), 99) / p(none.get(1).lightE2e(), 99));
        }
    }

    private int lightPrompt() {
        return (int) args.longValue("light-prompt", args.longValue("prompt", 64));
    }

    private int lightMaxTokens() {
        return (int) args.longValue("light-max-tokens", 32);
    }

    private InferenceEngine open(String setting, int maxRunning) throws Exception {
        Path model = EngineApiBench.model(Path.of(args.get("model-root", "target/bench-models")),
                args.get("shape", "llama-110m"), args.get("dtype", "bf16"), (int) args.longValue("context", 2048));
        long quantum = args.longValue("quantum", 4096);
        Policy policy = switch (args.get("policy", "drr")) {
            case "fcfs" -> new Policy.Fcfs();
            case "drr" -> new Policy.DeficitRoundRobin(quantum);
            case "vtc" -> new Policy.VirtualTokenCounter();
            case "dlpm" -> new Policy.DeficitLongestPrefixMatch(quantum);
            default -> throw new BenchArgs.UsageException("--policy: fcfs, drr, vtc or dlpm");
        };
        Preemption preemption = switch (setting) {
            case "fair" -> new Preemption.FairShare(Duration.ofMillis(args.longValue("window", 1000)));
            case "none" -> Preemption.none();
            default -> throw new BenchArgs.UsageException("--preemption: fair and/or none, comma-separated");
        };
        List<TenantSpec> tenants = List.of(TenantSpec.of("light", 1).withQueueBounds(100_000, Long.MAX_VALUE),
                TenantSpec.of("heavy", 1).withQueueBounds(100_000, Long.MAX_VALUE));
        EngineConfig config = new EngineConfig("bench", new EngineConfig.ModelSource.Directory(model), "cpu",
                List.of(), 16, args.longValue("kv-bytes", 512L << 20), 0.9,
                (int) args.longValue("max-batch-tokens", 2048), maxRunning, (int) args.longValue("threads", 0), policy,
                tenants, preemption, EngineConfig.Overlap.AUTO);
        return Engines.open(config, SchedulerStats.disabled());
    }

    /** One request's outcome: TTFT and end-to-end in ms. */
    private record Outcome(String tenant, double ttftMillis, double e2eMillis) {
    }

    /**
     * Light's Poisson arrivals and heavy's closed loop of {@code heavyInFlight} clients for {@code seconds}; waits
     * for every request it started.
     */
    private Phase phase(InferenceEngine engine, String name, int heavyInFlight, int seconds) throws Exception {
        EngineSnapshot before = engine.snapshot();
        long cpuBefore = processCpuNanos();
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        AtomicLong tokens = new AtomicLong();
        ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<CompletableFuture<Outcome>> inFlight = new ConcurrentLinkedQueue<>();
        List<Thread> clients = new ArrayList<>();
        Random lightRandom = new Random(random.nextLong());
        double rps = args.doubleValue("light-rps", 0.25);
        clients.add(Thread.ofVirtual().start(() -> {
            long next = System.nanoTime();
            while (true) {
                next += (long) (-Math.log(1 - lightRandom.nextDouble()) / rps * 1e9);
                if (next > end) {
                    return;
                }
                sleepUntil(next);
                inFlight.add(submit(engine, "light", lightPrompt(), lightMaxTokens(), lightRandom, end, tokens)
                        .whenComplete((o, e) -> {
                            if (o != null) {
                                outcomes.add(o);
                            }
                        }));
            }
        }));
        int prompt = (int) args.longValue("prompt", 64);
        int maxTokens = (int) args.longValue("max-tokens", 64);
        for (int c = 0; c < heavyInFlight; c++) {
            Random r = new Random(random.nextLong());
            clients.add(Thread.ofVirtual().start(() -> {
                while (System.nanoTime() < end) {
                    try {
                        outcomes.add(submit(engine, "heavy", prompt, maxTokens, r, end, tokens).get());
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            }));
        }
        for (Thread t : clients) {
            t.join();
        }
        for (CompletableFuture<Outcome> f : inFlight) {
            f.get(10, TimeUnit.MINUTES);
        }
        EngineSnapshot after = engine.snapshot();
        return new Phase(name, values(outcomes, "light", true), values(outcomes, "light", false),
                values(outcomes, "heavy", true), tokens.get() / (double) seconds,
                tokens.get() / ((processCpuNanos() - cpuBefore) / 1e9),
                sum(after, EngineSnapshot.TenantCacheStats::fairSharePreemptions)
                        - sum(before, EngineSnapshot.TenantCacheStats::fairSharePreemptions),
                sum(after, EngineSnapshot.TenantCacheStats::kvCachePreemptions)
                        - sum(before, EngineSnapshot.TenantCacheStats::kvCachePreemptions),
                sum(after, EngineSnapshot.TenantCacheStats::recomputedTokens)
                        - sum(before, EngineSnapshot.TenantCacheStats::recomputedTokens));
    }

    /** CPU time of this process so far: on a shared machine, throughput per CPU-second is what compares. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static long sum(EngineSnapshot s, java.util.function.ToLongFunction<EngineSnapshot.TenantCacheStats> f) {
        return s.tenants().values().stream().mapToLong(f).sum();
    }

    private static double[] values(ConcurrentLinkedQueue<Outcome> outcomes, String tenant, boolean ttft) {
        return outcomes.stream().filter(o -> o.tenant().equals(tenant))
                .mapToDouble(o -> ttft ? o.ttftMillis() : o.e2eMillis()).toArray();
    }

    private static void sleepUntil(long nanos) {
        long wait = nanos - System.nanoTime();
        if (wait > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Submits one greedy request; counts its tokens streamed before {@code phaseEnd}. */
    private CompletableFuture<Outcome> submit(InferenceEngine engine, String tenant, int promptTokens, int maxTokens,
                                              Random r, long phaseEnd, AtomicLong tokens) {
        CompletableFuture<Outcome> done = new CompletableFuture<>();
        int[] prompt = new int[promptTokens];
        Arrays.setAll(prompt, i -> 10 + r.nextInt(vocab));
        SamplingParams params = new SamplingParams(0, 1, 0, 0, OptionalLong.empty(), 0, 0, Map.of(), false, 0,
                maxTokens, List.of(), true);
        long start = System.nanoTime();
        long[] first = {-1};
        engine.submit(new GenerationRequest("p" + ids.incrementAndGet(), tenant, ServiceTier.DEFAULT, tenant,
                new PreparedPrompt(prompt, ""), params, 1), event -> {
                    switch (event) {
                        case TokenEvent.Token t -> {
                            long now = System.nanoTime();
                            if (first[0] < 0) {
                                first[0] = now;
                            }
                            if (now < phaseEnd) {
                                tokens.incrementAndGet();
                            }
                        }
                        case TokenEvent.Finished f -> done.complete(new Outcome(tenant, (first[0] - start) / 1e6,
                                (System.nanoTime() - start) / 1e6));
                        case TokenEvent.Failed f -> done.completeExceptionally(f.error());
                        default -> {
                        }
                    }
                });
        return done;
    }
}
