package io.fairlane.bench.soak;

import io.fairlane.bench.BenchArgs;
import io.fairlane.bench.BenchArgs.UsageException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The soak: the gateway as its own JVM with the launcher's flags (G1, the heap at 40% of the memory it may use,
 * here a simulated container limit, {@code -XX:MaxRAM}), under {@code --clients} clients of three tenants for
 * {@code --duration-s}: streamed and whole chats through an upstream lane whose upstream fails {@code
 * --failure-ratio} of requests on purpose, streamed and whole completions on the CPU engine's synthetic tiny model,
 * {@code --abort-ratio} of streams left after three events; one tenant rate-limited. Its resident memory is sampled
 * every {@code --sample-s}. The run passes when there were no unexpected errors (every failure was one the upstream
 * injected or a rate limit of the limited tenant), no leak was reported (Netty's detector at {@code
 * --leak-detection}), nothing was left in flight, queued or holding KV blocks afterwards, and the resident memory
 * after warm-up stayed flat (its end within {@code --rss-slack} of its middle).
 *
 * <p>Run: {@code bench/soak/run.sh [--key value ...]}; keys and defaults in {@link #USAGE}.
 */
public final class SoakBench {

    static final String USAGE = """
            usage: run.sh [--duration-s 1800] [--warmup-s 120] [--clients 16] [--abort-ratio 0.05]
                          [--failure-ratio 0.01] [--memory 2g] [--sample-s 10] [--leak-detection simple|paranoid]
                          [--rss-slack 0.10] [--seed 1] [--samples FILE.csv] [--work-dir DIR] --classpath CP""";
    private static final Set<String> OPTIONS = Set.of("duration-s", "warmup-s", "clients", "abort-ratio",
            "failure-ratio", "memory", "sample-s", "leak-detection", "rss-slack", "seed", "samples", "work-dir",
            "classpath");
    private static final Pattern BANNER = Pattern.compile("Fairlane is serving at http://[^:]+:(\\d+)/v1");
    private static final String[][] TENANTS = {{"alpha", "sk-soak-alpha"}, {"beta", "sk-soak-beta"},
            {"gamma", "sk-soak-gamma"}};

    /** One memory sample. */
    record Sample(double seconds, long rss, double heapUsed, double cpuSeconds) {
    }

    /** What a run found; {@link #passed()} says whether it met every condition. */
    record Result(SoakClient.Tally tally, List<Sample> samples, Sample start, Sample middle, Sample end,
                  double rssSlack, List<String> leaks, TreeMap<String, Double> leftovers, long upstreamRequests,
                  int injected) {

        boolean rssFlat() {
            return end.rss() <= middle.rss() * (1 + rssSlack);
        }

        boolean passed() {
            return tally.get("unexpected") == 0 && leaks.isEmpty() && rssFlat()
                    && leftovers.values().stream().allMatch(v -> v == 0);
        }
    }

    private SoakBench() {
    }

    public static void main(String[] args) throws Exception {
        BenchArgs a;
        try {
            a = BenchArgs.parse(List.of(args), OPTIONS);
        } catch (UsageException e) {
            System.err.println(e.getMessage() + "\n" + USAGE);
            System.exit(2);
            return;
        }
        Result r = run(a);
        System.out.println(report(r));
        System.exit(r.passed() ? 0 : 1);
    }

    /** Runs the soak with options {@code a} and returns what it found. */
    static Result run(BenchArgs a) throws Exception {
        int duration = (int) a.longValue("duration-s", 1800);
        int warmup = (int) a.longValue("warmup-s", Math.min(120, duration / 4));
        int clients = (int) a.longValue("clients", 16);
        double abortRatio = a.doubleValue("abort-ratio", 0.05);
        double failureRatio = a.doubleValue("failure-ratio", 0.01);
        int sampleSeconds = (int) a.longValue("sample-s", 10);
        long seed = a.longValue("seed", 1);
        Path work = a.values().containsKey("work-dir") ? Path.of(a.get("work-dir", "")) : Files.createTempDirectory("soak");
        Files.createDirectories(work);
        try (SoakUpstream upstream = new SoakUpstream(failureRatio)) {
            Path config = work.resolve("fairlane.yaml");
            Files.writeString(config, config(upstream.port(), work));
            Path log = work.resolve("gateway.log");
            Process gateway = startGateway(a.required("classpath"), a.get("memory", "2g"),
                    a.get("leak-detection", "simple"), config, log);
            try {
                int port = awaitPort(gateway, log);
                GatewayProbe probe = new GatewayProbe(gateway.pid(), port);
                URI base = URI.create("http://127.0.0.1:" + port + "/");
                SoakClient.Tally tally = new SoakClient.Tally();
                long startNanos = System.nanoTime();
                long endNanos = startNanos + TimeUnit.SECONDS.toNanos(duration);
                List<Thread> threads = new ArrayList<>();
                List<HttpClient> httpClients = new ArrayList<>();
                for (int i = 0; i < clients; i++) {
                    String[] t = TENANTS[i % TENANTS.length];
                    // Each client its own HTTP client and connection pool, as each application has its own SDK
                    // client: one request at a time, so its pool holds one connection that no one else can take.
                    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                            .connectTimeout(Duration.ofSeconds(10)).build();
                    httpClients.add(http);
                    threads.add(Thread.ofVirtual().name("soak-client-" + i).start(new SoakClient(http, base, t[0],
                            t[1], t[0].equals("gamma"), abortRatio, endNanos, upstream, tally, seed * 1000 + i)));
                }
                List<Sample> samples = sample(probe, startNanos, endNanos, sampleSeconds, a.get("samples", null));
                for (Thread t : threads) {
                    t.join(TimeUnit.SECONDS.toMillis(90));
                }
                httpClients.forEach(HttpClient::shutdownNow);
                TreeMap<String, Double> leftovers = settle(probe);
                List<Sample> afterWarmup = samples.stream().filter(s -> s.seconds() >= warmup).toList();
                if (afterWarmup.isEmpty()) {
                    afterWarmup = samples;
                }
                List<String> leaks = Files.readAllLines(log).stream().filter(l -> l.contains("LEAK:")).toList();
                return new Result(tally, samples, afterWarmup.getFirst(), afterWarmup.get(afterWarmup.size() / 2),
                        afterWarmup.getLast(), a.doubleValue("rss-slack", 0.10), leaks, leftovers,
                        upstream.requests(), upstream.failuresInjected());
            } finally {
                gateway.destroy();
                if (!gateway.waitFor(30, TimeUnit.SECONDS)) {
                    gateway.destroyForcibly();
                }
            }
        }
    }

    private static String config(int upstreamPort, Path work) {
        StringBuilder tenants = new StringBuilder();
        for (String[] t : TENANTS) {
            tenants.append("  - id: ").append(t[0]).append("\n    api_keys: [\"").append(sha256(t[1])).append("\"]\n")
                    .append(t[0].equals("alpha") ? "    weight: 2\n" : "")
                    .append(t[0].equals("gamma") ? "    rate_limits: {requests_per_minute: 600, tokens_per_minute: "
                            + "20000}\n" : "");
        }
        return """
                # Generated by io.fairlane.bench.soak.SoakBench.
                server:
                  host: 127.0.0.1
                  port: 0
                  cache_dir: %s
                  # One load generator on one address holds all the connections.
                  limits: {max_connections_per_address: 0}
                tenants:
                %sidempotency: {enabled: false}
                # The run's own durable state, not the user's default store.
                storage: {directory: "%s"}
                models:
                  - id: up
                    upstream:
                      url: http://127.0.0.1:%d/v1
                      max_concurrency: 32
                      timeouts: {connect: 2s, first_byte: 10s, read: 10s}
                  - id: tiny
                    local:
                      synthetic: {shape: tiny, dtype: f32, seed: 7}
                      backend: cpu
                      kv: {block_size: 16, cache_size: 16MiB}
                      max_running_sequences: 16
                      cpu_threads: 1
                """.formatted(work.resolve("cache"), tenants, work.resolve("state"), upstreamPort);
    }

    private static String sha256(String key) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@code Main serve} as its own JVM with the launcher's flags, in a simulated container of {@code memory}
     * ({@code -XX:MaxRAM}, which {@code MaxRAMPercentage} reads as a cgroup limit would be read).
     */
    private static Process startGateway(String classpath, String memory, String leakDetection, Path config, Path log)
            throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseG1GC", "-XX:MaxRAMPercentage=40", "-XX:MaxRAM=" + memory,
                "-Dio.netty.leakDetection.level=" + leakDetection, "-cp", classpath, "io.fairlane.gateway.Main",
                "serve", "--config", config.toString());
        pb.environment().put("FAIRLANE_ACCESS_LOG", "OFF");
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        return pb.start();
    }

    private static int awaitPort(Process gateway, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            Matcher m = BANNER.matcher(Files.readString(log));
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
            if (!gateway.isAlive()) {
                throw new IllegalStateException("the gateway exited with " + gateway.exitValue() + ":\n"
                        + Files.readString(log));
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the gateway printed no port within 120 s:\n" + Files.readString(log));
    }

    /** Samples memory every {@code everySeconds} until {@code endNanos}; appends each sample to {@code csv}. */
    private static List<Sample> sample(GatewayProbe probe, long startNanos, long endNanos, int everySeconds,
                                       String csv) throws Exception {
        List<Sample> samples = new ArrayList<>();
        Path out = csv == null ? null : Path.of(csv);
        if (out != null) {
            Files.writeString(out, "seconds,rss_bytes,heap_used_bytes,cpu_seconds\n");
        }
        long next = startNanos;
        while (true) {
            long now = System.nanoTime();
            String page = probe.scrape();
            Sample s = new Sample((now - startNanos) / 1e9, probe.rssBytes(),
                    GatewayProbe.sum(page, "jvm_memory_used_bytes", "area=\"heap\""), probe.cpuSeconds());
            samples.add(s);
            if (out != null) {
                Files.writeString(out, String.format(Locale.ROOT, "%.1f,%d,%.0f,%.2f%n", s.seconds(), s.rss(),
                        s.heapUsed(), s.cpuSeconds()), java.nio.file.StandardOpenOption.APPEND);
            }
            if (now >= endNanos) {
                return samples;
            }
            next += TimeUnit.SECONDS.toNanos(everySeconds);
            Thread.sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(Math.min(next, endNanos) - System.nanoTime())));
        }
    }

    /**
     * Waits (up to 60 s) until nothing is in flight, queued, running or holding KV blocks, and returns what was
     * still there: zero for each when the gateway let go of everything.
     */
    private static TreeMap<String, Double> settle(GatewayProbe probe) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        TreeMap<String, Double> left;
        do {
            Thread.sleep(1500); // gauges poll the engine and schedulers once a second
            String page = probe.scrape();
            left = new TreeMap<>();
            left.put("requests in flight", GatewayProbe.sum(page, "fairlane_requests_in_flight", ""));
            left.put("scheduler queue depth", GatewayProbe.sum(page, "fairlane_scheduler_queue_depth", ""));
            left.put("engine sequences running", GatewayProbe.sum(page, "fairlane_engine_sequences_running", ""));
            left.put("engine sequences waiting", GatewayProbe.sum(page, "fairlane_engine_sequences_waiting", ""));
            left.put("KV blocks held", GatewayProbe.sum(page, "fairlane_kv_blocks_held", ""));
            left.put("KV cache usage", GatewayProbe.sum(page, "fairlane_engine_kv_usage", ""));
        } while (left.values().stream().anyMatch(v -> v != 0) && System.nanoTime() < deadline);
        return left;
    }

    /** The run as Markdown: outcomes, memory at start/middle/end, leftovers, leaks, verdict. */
    static String report(Result r) {
        StringBuilder sb = new StringBuilder("## Soak result: ").append(r.passed() ? "PASS" : "FAIL").append("\n\n");
        sb.append("| outcome | count |\n|---|---|\n");
        new TreeMap<>(r.tally().outcomes).forEach((k, v) -> sb.append("| ").append(k).append(" | ").append(v.sum())
                .append(" |\n"));
        sb.append("\nupstream requests: ").append(r.upstreamRequests()).append(", failures injected: ")
                .append(r.injected()).append('\n');
        r.tally().unexpectedExamples.forEach((k, v) -> sb.append("- unexpected ").append(k).append(": ").append(v)
                .append('\n'));
        sb.append("\n| after warm-up | at | RSS MiB | heap used MiB | CPU s |\n|---|---|---|---|---|\n");
        for (String[] row : new String[][] {{"start", ""}, {"middle", ""}, {"end", ""}}) {
            Sample s = row[0].equals("start") ? r.start() : row[0].equals("middle") ? r.middle() : r.end();
            sb.append(String.format(Locale.ROOT, "| %s | %.0f s | %.1f | %.1f | %.1f |%n", row[0], s.seconds(),
                    s.rss() / 1048576.0, s.heapUsed() / 1048576.0, s.cpuSeconds()));
        }
        long maxRss = r.samples().stream().mapToLong(Sample::rss).max().orElse(-1);
        sb.append(String.format(Locale.ROOT, "%nRSS max %.1f MiB; end within %.0f%% of middle: %s%n", maxRss / 1048576.0,
                r.rssSlack() * 100, r.rssFlat()));
        sb.append("\nafterwards: ").append(r.leftovers()).append('\n');
        sb.append("leak reports: ").append(r.leaks().size()).append('\n');
        r.leaks().stream().limit(3).forEach(l -> sb.append("  ").append(l).append('\n'));
        return sb.toString();
    }
}
