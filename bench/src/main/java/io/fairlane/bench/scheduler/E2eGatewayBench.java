package io.fairlane.bench.scheduler;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The scheduler's end-to-end fairness run through the real gateway: a well-behaved tenant ({@code light}) and a noisy
 * one sending 10x its request rate share an upstream lane with 4 concurrent slots in front of a stub upstream
 * that answers every request after a service time drawn around a fixed mean (100 ± 50 ms by default, see
 * {@link #answer}), so the lane's capacity is known (slots / mean service time).
 * The noisy tenant alone offers more than that capacity, so a queue builds in the lane's scheduler.
 *
 * <p>This program is the stub upstream and the load generator; the gateway runs as its own JVM
 * ({@code io.fairlane.gateway.Main serve}, the launcher's flags) on an ephemeral port with a generated
 * configuration holding one lane per phase, all pointing at the stub. Phases, one after the other, each on its
 * own fresh lane so no scheduler state carries over: {@code solo} (the light tenant alone, DRR lane), then
 * {@code drr}, {@code fcfs} (and {@code vtc}, {@code dlpm} when asked) with both tenants. Arrivals are open-loop
 * from one seeded schedule replayed unchanged in every phase (Poisson by default, or fixed intervals), so a slow
 * answer never slows the senders, and a request's latency runs from its scheduled send time to its last byte.
 * A phase ends when every request it sent has been answered, so the next starts on a drained gateway.
 *
 * <p>Run: {@code bench/scheduler/e2e-gateway.sh [--key value ...]}; keys and defaults in {@link #USAGE}.
 */
public final class E2eGatewayBench {

    static final String USAGE = """
            usage: e2e-gateway.sh [--service-ms 100] [--service-spread-ms 50] [--slots 4] [--light-rps 5] [--ratio 10] [--duration-s 60]
                                  [--arrivals poisson|fixed] [--seed 1] [--phases solo,drr,fcfs] [--max-tokens 16]
                                  [--warmup-s 4] [--samples FILE.csv]
              phases: any of solo, drr, fcfs, vtc, dlpm (solo first: the others are compared with it)""";

    private static final String LIGHT_KEY = "sk-bench-light";
    private static final String NOISY_KEY = "sk-bench-noisy";
    /** Fine histogram buckets, so the gateway's own p99 per tenant can be read to within 10-25 ms. */
    private static final String BUCKETS = "5ms, 10ms, 20ms, 30ms, 40ms, 50ms, 60ms, 70ms, 80ms, 90ms, 100ms, "
            + "110ms, 120ms, 130ms, 140ms, 150ms, 175ms, 200ms, 225ms, 250ms, 300ms, 400ms, 500ms, 1s, 2s, 5s, "
            + "10s, 20s, 30s, 60s, 120s";
    private static final Pattern BANNER = Pattern.compile("Fairlane is serving at http://[^:]+:(\\d+)/v1");

    private final Map<String, String> opts;
    private final int serviceMs;
    private final int spreadMs;
    private final int slots;
    private final double lightRps;
    private final double ratio;
    private final int durationS;
    private final int warmupS;
    private final int maxTokens;
    private final boolean poisson;
    private final long seed;
    private final List<String> phases;
    private final AtomicInteger stubInFlight = new AtomicInteger();
    private final AtomicInteger stubMaxInFlight = new AtomicInteger();

    private E2eGatewayBench(Map<String, String> opts) {
        this.opts = opts;
        this.serviceMs = Integer.parseInt(opt("service-ms", "100"));
        this.spreadMs = Integer.parseInt(opt("service-spread-ms", "50"));
        this.slots = Integer.parseInt(opt("slots", "4"));
        this.lightRps = Double.parseDouble(opt("light-rps", "5"));
        this.ratio = Double.parseDouble(opt("ratio", "10"));
        this.durationS = Integer.parseInt(opt("duration-s", "60"));
        this.warmupS = Integer.parseInt(opt("warmup-s", "4"));
        this.maxTokens = Integer.parseInt(opt("max-tokens", "16"));
        this.poisson = switch (opt("arrivals", "poisson")) {
            case "poisson" -> true;
            case "fixed" -> false;
            default -> throw new IllegalArgumentException("--arrivals must be poisson or fixed");
        };
        this.seed = Long.parseLong(opt("seed", "1"));
        this.phases = List.of(opt("phases", "solo,drr,fcfs").split(","));
        for (String p : phases) {
            if (!List.of("solo", "drr", "fcfs", "vtc", "dlpm").contains(p)) {
                throw new IllegalArgumentException("unknown phase '" + p + "'\n" + USAGE);
            }
        }
        if (spreadMs < 0 || spreadMs >= serviceMs) {
            throw new IllegalArgumentException("service-spread-ms must be >= 0 and below service-ms\n" + USAGE);
        }
        if (serviceMs < 1 || slots < 1 || lightRps <= 0 || ratio <= 0 || durationS < 1 || warmupS < 0) {
            throw new IllegalArgumentException("service-ms, slots, light-rps, ratio and duration-s must be positive\n"
                    + USAGE);
        }
    }

    private String opt(String key, String def) {
        return opts.getOrDefault(key, def);
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || !args[0].equals("--classpath")) {
            System.err.println("E2eGatewayBench: the first arguments must be --classpath <gateway classpath>");
            System.exit(2);
        }
        String gatewayClasspath = args[1];
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 2; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                System.err.println(USAGE);
                System.exit(2);
            }
            opts.put(args[i].substring(2), args[i + 1]);
        }
        E2eGatewayBench bench;
        try {
            bench = new E2eGatewayBench(opts);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        int rc = bench.run(gatewayClasspath);
        System.exit(rc);
    }

    // ---- the stub upstream ----

    /**
     * Answers each chat completion after a service time drawn uniformly from {@code serviceMs ± spreadMs}, whatever
     * it asks; never streams. The mean fixes the lane's capacity (slots / mean service time). Why a spread: with
     * one exact service time the slots fall into step — a moment's CPU stall on a shared machine lets several
     * finish together, they are refilled together, and nothing ever separates them again — so after a minute all
     * four free up at once every service time, and a newcomer waits for up to a whole service time instead of for
     * the first of four staggered slots. No real upstream answers in constant time; {@code --service-spread-ms 0}
     * still gives the lockstep case. It counts
     * the requests it holds at once, which shows that the gateway never lets more than the lane's slots through.
     */
    private HttpServer stub() throws IOException {
        System.setProperty("sun.net.httpserver.nodelay", "true"); // headers and body are separate writes
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/chat/completions", this::answer);
        server.start();
        return server;
    }

    private void answer(HttpExchange exchange) throws IOException {
        long start = System.nanoTime();
        stubMaxInFlight.accumulateAndGet(stubInFlight.incrementAndGet(), Math::max);
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            long spread = TimeUnit.MILLISECONDS.toNanos(spreadMs);
            long serviceNanos = TimeUnit.MILLISECONDS.toNanos(serviceMs)
                    + (spread == 0 ? 0 : ThreadLocalRandom.current().nextLong(-spread, spread + 1));
            sleepUntil(start + serviceNanos);
            // Counted out before the answer goes: once the gateway has it, it may send the next request at once.
            stubInFlight.decrementAndGet();
            byte[] b = ("{\"id\":\"chatcmpl-stub\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"stub\","
                    + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
                    + "x".repeat(maxTokens) + "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":60,"
                    + "\"completion_tokens\":" + maxTokens + ",\"total_tokens\":" + (60 + maxTokens) + "}}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, b.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(b);
            }
        }
    }

    private static void sleepUntil(long deadline) {
        for (long left = deadline - System.nanoTime(); left > 0; left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
    }

    // ---- the gateway ----

    private static String policyOf(String phase) {
        return phase.equals("solo") ? "drr" : phase;
    }

    private String config(int stubPort, Path dir) {
        StringBuilder models = new StringBuilder();
        List<String> lanes = new ArrayList<>();
        for (String p : phases) {
            lanes.add("warm-" + policyOf(p));
            lanes.add("bench-" + p);
        }
        for (String lane : lanes.stream().distinct().toList()) {
            String policy = policyOf(lane.substring(lane.indexOf('-') + 1));
            models.append("""
                      - id: %1$s
                        scheduler: {policy: %2$s}
                        upstream:
                          url: http://127.0.0.1:%3$d/v1
                          max_concurrency: %4$d
                          timeouts: {connect: 5s, first_byte: 60s, read: 60s}
                    """.formatted(lane, policy, stubPort, slots));
        }
        return """
                # Generated by io.fairlane.bench.scheduler.E2eGatewayBench: two tenants, one %d-slot upstream lane per phase.
                # The load generator is one address with hundreds of connections open while a queue builds.
                server: {host: 127.0.0.1, port: 0, cache_dir: %s, limits: {max_connections_per_address: 0}}
                tenants:
                  - {id: light, api_keys: ["%s"]}
                  - {id: noisy, api_keys: ["%s"]}
                idempotency: {enabled: false}
                metrics:
                  latency_buckets: [%s]
                models:
                %s""".formatted(slots, dir, sha256(LIGHT_KEY), sha256(NOISY_KEY), BUCKETS, models);
    }

    private static String sha256(String key) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts {@code Main serve} as its own JVM with the launcher's flags; returns it once it prints its port. */
    private static Process startGateway(String classpath, Path config, Path log) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseG1GC", "-cp", classpath,
                "io.fairlane.gateway.Main", "serve", "--config", config.toString());
        pb.environment().put("FAIRLANE_ACCESS_LOG", "OFF"); // one line per request would cost CPU we measure
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        return pb.start();
    }

    private static int awaitPort(Process gateway, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            Matcher m = BANNER.matcher(Files.readString(log));
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
            if (!gateway.isAlive()) {
                throw new IllegalStateException("the gateway exited with " + gateway.exitValue() + ":\n"
                        + Files.readString(log));
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the gateway printed no port within 60 s:\n" + Files.readString(log));
    }

    // ---- the load ----

    private record Arrival(long offsetNanos, boolean light) {
    }

    private record Sample(boolean light, int status, long sentNanos, long doneNanos) {
        long latencyNanos() {
            return doneNanos - sentNanos;
        }
    }

    /**
     * One schedule per tenant over {@code seconds}, merged: Poisson (seeded) or evenly spaced, the light tenant's
     * fixed arrivals offset by half a gap so the two never coincide by construction.
     */
    private List<Arrival> schedule(int seconds, long seed) {
        Random random = new Random(seed);
        List<Arrival> out = new ArrayList<>();
        long end = TimeUnit.SECONDS.toNanos(seconds);
        for (boolean light : new boolean[] {true, false}) {
            double rate = light ? lightRps : lightRps * ratio;
            double t = poisson || !light ? 0 : 0.5 / rate;
            while (true) {
                t += poisson ? -Math.log(1 - random.nextDouble()) / rate : 1 / rate;
                long at = (long) (t * 1e9);
                if (at >= end) {
                    break;
                }
                out.add(new Arrival(at, light));
            }
        }
        out.sort((a, b) -> Long.compare(a.offsetNanos, b.offsetNanos));
        return out;
    }

    private String body(String lane) {
        return "{\"model\":\"" + lane + "\",\"max_tokens\":" + maxTokens + ",\"messages\":["
                + "{\"role\":\"system\",\"content\":\"You are a helpful assistant.\"},"
                + "{\"role\":\"user\",\"content\":\"Summarise the plot of a short story about a lighthouse keeper "
                + "who finds a message in a bottle, in two sentences.\"}]}";
    }

    private static Sample send(HttpClient http, HttpRequest request, boolean light, long scheduled) {
        try {
            HttpResponse<InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = r.body()) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            return new Sample(light, r.statusCode(), scheduled, System.nanoTime());
        } catch (IOException e) {
            return new Sample(light, -1, scheduled, System.nanoTime());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Sample(light, -1, scheduled, System.nanoTime());
        }
    }

    private record PhaseResult(String name, List<Sample> samples, long startNanos, double loadBefore,
                               double loadAfter, double gatewayCores, double benchCores, int stubMaxInFlight) {
    }

    /** Replays {@code arrivals} against {@code lane}; returns once every request has been answered. */
    private PhaseResult phase(String name, HttpClient http, URI uri, String lane, List<Arrival> arrivals,
                              long gatewayPid) throws InterruptedException {
        ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
        CountDownLatch done = new CountDownLatch(arrivals.size());
        double loadBefore = loadAverage();
        long gatewayCpuBefore = processCpuNanos(gatewayPid);
        long benchCpuBefore = processCpuNanos(ProcessHandle.current().pid());
        stubMaxInFlight.set(0);
        String body = body(lane);
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
        for (Arrival a : arrivals) {
            HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(300))
                    .header("Authorization", "Bearer " + (a.light ? LIGHT_KEY : NOISY_KEY))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            long scheduled = start + a.offsetNanos;
            sleepUntil(scheduled);
            Thread.startVirtualThread(() -> {
                try {
                    samples.add(send(http, request, a.light, scheduled));
                } finally {
                    done.countDown();
                }
            });
        }
        done.await();
        double wall = (System.nanoTime() - start) / 1e9;
        return new PhaseResult(name, List.copyOf(samples), start, loadBefore, loadAverage(),
                (processCpuNanos(gatewayPid) - gatewayCpuBefore) / 1e9 / wall,
                (processCpuNanos(ProcessHandle.current().pid()) - benchCpuBefore) / 1e9 / wall,
                stubMaxInFlight.get());
    }

    private static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** User + system CPU of a process from /proc (clock ticks, assumed 100 per second as on every Linux we use). */
    private static long processCpuNanos(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    // ---- the gateway's own view ----

    /** The gateway's timers for one tenant on one lane: mean and histogram p99 (a bucket bound), in ms. */
    private record GatewayTimes(double e2eMean, double e2eP99, double queueMean, double queueP99) {
    }

    private static GatewayTimes gatewayTimes(String metrics, String tenant, String lane) {
        double[] e2e = timer(metrics, "fairlane_e2e_request_latency_seconds", tenant, lane);
        double[] queue = timer(metrics, "fairlane_request_queue_time_seconds", tenant, lane);
        return new GatewayTimes(e2e[0], e2e[1], queue[0], queue[1]);
    }

    /** {mean, p99} of a Prometheus histogram in ms; p99 is the smallest bucket bound holding 99% of the count. */
    private static double[] timer(String metrics, String name, String tenant, String lane) {
        String labels = "model=\"" + lane + "\"";
        String who = "tenant=\"" + tenant + "\"";
        double sum = Double.NaN;
        double count = Double.NaN;
        List<double[]> buckets = new ArrayList<>();
        for (String line : metrics.split("\n")) {
            if (!line.startsWith(name) || !line.contains(labels) || !line.contains(who)) {
                continue;
            }
            double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            if (line.startsWith(name + "_sum{")) {
                sum = value;
            } else if (line.startsWith(name + "_count{")) {
                count = value;
            } else if (line.startsWith(name + "_bucket{")) {
                Matcher m = Pattern.compile("le=\"([^\"]+)\"").matcher(line);
                if (m.find() && !m.group(1).equals("+Inf")) {
                    buckets.add(new double[] {Double.parseDouble(m.group(1)), value});
                }
            }
        }
        buckets.sort((a, b) -> Double.compare(a[0], b[0]));
        double p99 = Double.NaN;
        for (double[] b : buckets) {
            if (b[1] >= 0.99 * count) {
                p99 = b[0] * 1000;
                break;
            }
        }
        return new double[] {sum / count * 1000, p99};
    }

    private static String scrape(HttpClient http, URI metrics) {
        try {
            return http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    // ---- report ----

    /** Nearest-rank percentile, in milliseconds. */
    private static double pct(List<Long> sorted, double p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100 * sorted.size());
        return sorted.get(Math.clamp(rank - 1, 0, sorted.size() - 1)) / 1e6;
    }

    private static List<Long> okLatencies(PhaseResult r, boolean light) {
        return r.samples.stream().filter(s -> s.light == light && s.status == 200).map(Sample::latencyNanos)
                .sorted().toList();
    }

    private static String ms(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%,.0f", v);
    }

    private int run(String gatewayClasspath) throws Exception {
        Path dir = Files.createTempDirectory("fairlane-e2e");
        HttpServer stub = stub();
        Path config = dir.resolve("fairlane.yaml");
        Files.writeString(config, config(stub.getAddress().getPort(), dir));
        Path log = dir.resolve("gateway.log");
        Process gateway = startGateway(gatewayClasspath, config, log);
        try {
            int port = awaitPort(gateway, log);
            return measure(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"),
                    URI.create("http://127.0.0.1:" + port + "/metrics"), gateway.pid(), dir);
        } finally {
            gateway.destroy(); // SIGTERM: the gateway drains (nothing is in flight by now) and exits
            if (!gateway.waitFor(30, TimeUnit.SECONDS)) {
                gateway.destroyForcibly();
            }
            stub.stop(0);
        }
    }

    private int measure(URI uri, URI metricsUri, long gatewayPid, Path dir) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        List<Arrival> arrivals = schedule(durationS, seed);
        List<Arrival> lightOnly = arrivals.stream().filter(Arrival::light).toList();
        long lightCount = lightOnly.size();
        double capacity = slots * 1000.0 / serviceMs;
        System.out.printf(Locale.ROOT, "# e2e gateway fairness, %s; gateway pid %d, config and log in %s%n",
                Instant.now(), gatewayPid, dir);
        System.out.printf(Locale.ROOT, "# lane: %d slots x %s ms stub service time = %.1f req/s capacity%n", slots,
                spreadMs == 0 ? serviceMs + " (exactly)" : serviceMs + " ± " + spreadMs + " (uniform)",
                capacity);
        System.out.printf(Locale.ROOT, "# load: light %.1f req/s, noisy %.1f req/s (x%s), %s arrivals, %d s per phase "
                        + "(%d light + %d noisy requests), seed %d; offered %.0f%% of capacity%n", lightRps,
                lightRps * ratio, fmt(ratio), poisson ? "Poisson" : "evenly spaced", durationS, lightCount,
                arrivals.size() - lightCount, seed, 100 * lightRps * (1 + ratio) / capacity);
        System.out.printf(Locale.ROOT, "# machine: %d CPUs, load average %.2f at start; %s %s%n",
                Runtime.getRuntime().availableProcessors(), loadAverage(), System.getProperty("java.vm.name"),
                System.getProperty("java.version"));

        // Warm-up: JIT the gateway's whole path for each policy used, on lanes the measured phases never touch.
        List<Arrival> warm = schedule(warmupS, seed + 1);
        for (String policy : phases.stream().map(E2eGatewayBench::policyOf).distinct().toList()) {
            if (warmupS > 0) {
                phase("warm-up", http, uri, "warm-" + policy, warm, gatewayPid);
            }
        }

        List<PhaseResult> results = new ArrayList<>();
        for (String p : phases) {
            PhaseResult r = phase(p, http, uri, "bench-" + p, p.equals("solo") ? lightOnly : arrivals, gatewayPid);
            results.add(r);
            long last = r.samples.stream().mapToLong(Sample::doneNanos).max().orElse(r.startNanos);
            System.out.printf(Locale.ROOT, "# phase %-4s: %.1f s until the last answer; load average %.2f -> %.2f; "
                            + "CPU: gateway %.2f cores, stub + load generator %.2f; most requests at the stub at "
                            + "once: %d%n", p, (last - r.startNanos) / 1e9, r.loadBefore, r.loadAfter,
                    r.gatewayCores, r.benchCores, r.stubMaxInFlight);
        }

        String metrics = scrape(http, metricsUri);
        PhaseResult solo = results.stream().filter(r -> r.name.equals("solo")).findFirst().orElse(null);
        double soloP99 = solo == null ? Double.NaN : pct(okLatencies(solo, true), 99);
        System.out.println();
        System.out.println("Latency runs from each request's scheduled send time to its last byte; throughput is "
                + "the tenant's answers with status 200 per second, from the phase's first send to the tenant's "
                + "last answer.");
        System.out.println();
        System.out.println("| phase (lane policy) | tenant | sent | 200 | 429 | other | throughput (req/s) "
                + "| p50 (ms) | p99 (ms) | max (ms) | p99 / light's solo p99 |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (PhaseResult r : results) {
            for (boolean light : new boolean[] {true, false}) {
                List<Sample> mine = r.samples.stream().filter(s -> s.light == light).toList();
                if (mine.isEmpty()) {
                    continue;
                }
                long last = mine.stream().mapToLong(Sample::doneNanos).max().orElseThrow();
                double seconds = (last - r.startNanos) / 1e9;
                List<Long> lat = okLatencies(r, light);
                long rejected = mine.stream().filter(s -> s.status == 429).count();
                long other = mine.size() - lat.size() - rejected;
                String label = r.name.equals("solo") ? "solo (drr)" : r.name;
                System.out.printf(Locale.ROOT, "| %s | %s | %d | %d | %d | %d | %.1f | %s | %s | %s | %s |%n",
                        label, light ? "light" : "noisy", mine.size(), lat.size(), rejected, other,
                        lat.size() / seconds, ms(pct(lat, 50)), ms(pct(lat, 99)), ms(pct(lat, 100)),
                        light ? String.format(Locale.ROOT, "%.2f×", pct(lat, 99) / soloP99) : "");
            }
        }
        System.out.println();
        System.out.println("The gateway's own timers for the same requests (its metrics: arrival to last byte, and the "
                + "wait in the lane's tenant scheduler; p99 is the histogram bucket bound that holds 99%):");
        System.out.println();
        System.out.println("| phase | tenant | gateway e2e mean (ms) | gateway e2e p99 ≤ (ms) | scheduler wait mean (ms) "
                + "| scheduler wait p99 ≤ (ms) |");
        System.out.println("|---|---|---:|---:|---:|---:|");
        for (PhaseResult r : results) {
            for (String tenant : r.name.equals("solo") ? List.of("light") : List.of("light", "noisy")) {
                GatewayTimes g = gatewayTimes(metrics, tenant, "bench-" + r.name);
                System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", r.name, tenant, ms(g.e2eMean),
                        ms(g.e2eP99), ms(g.queueMean), ms(g.queueP99));
            }
        }
        System.out.println();
        for (PhaseResult r : results) {
            if (r.name.equals("solo") || solo == null) {
                continue;
            }
            double p99 = pct(okLatencies(r, true), 99);
            boolean met = p99 <= 1.5 * soloP99;
            System.out.printf(Locale.ROOT, "%s: light p99 %s ms = %.2f× its solo p99 (%s ms): %s%n",
                    r.name.toUpperCase(Locale.ROOT), ms(p99), p99 / soloP99, ms(soloP99),
                    met ? "within 1.5×" : "NOT within 1.5×");
        }
        String samplesFile = opts.get("samples");
        if (samplesFile != null) {
            StringBuilder csv = new StringBuilder("phase,tenant,sent_ms,status,latency_ms\n");
            for (PhaseResult r : results) {
                r.samples.stream().sorted((a, b) -> Long.compare(a.sentNanos, b.sentNanos)).forEach(x -> csv.append(
                        String.format(Locale.ROOT, "%s,%s,%.1f,%d,%.1f%n", r.name, x.light ? "light" : "noisy",
                                (x.sentNanos - r.startNanos) / 1e6, x.status, x.latencyNanos() / 1e6)));
            }
            Files.writeString(Path.of(samplesFile), csv);
            System.out.println("per-request samples: " + samplesFile);
        }
        return 0;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
