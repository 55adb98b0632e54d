package io.fairlane.bench.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.engine.Engines;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.InferenceEngine;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.TokenEvent;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.FairlaneConfig;
import io.fairlane.gateway.config.LocalModelConfig;
import io.fairlane.gateway.config.TenantConfig;
import io.fairlane.scheduler.SchedulerStats;
import io.fairlane.scheduler.ServiceTier;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The GPU runbook's end-to-end measurement: a running gateway driven over HTTP by two tenants, and the same
 * closed-loop workload on the engine API in-process, so the HTTP layer's cost can be read as the difference.
 *
 * <pre>
 * EndToEndLoad http   --base-url http://127.0.0.1:18080 --model M --light-key K1 --heavy-key K2 --vocab V --out F
 * EndToEndLoad direct --config fairlane.yaml --model M --vocab V --out F
 * </pre>
 *
 * <p>Prompts are token-id arrays on {@code /v1/completions} ({@link PreparedPrompt} token ids in-process), so
 * their lengths are exact whatever the tokenizer: a shared "system" prefix of {@code --system} tokens, then
 * {@code --suffix} tokens unique to each request. Greedy, {@code ignore_eos}, so every request produces exactly
 * its {@code max_tokens}. Phases of {@code http}: warm-up (each tenant's prefix cached, decode batch shapes
 * seen), {@code solo} (tenant "light" alone at {@code --light-rps}, Poisson arrivals), {@code mixed} ("light" as
 * before plus "heavy" at {@code --ratio} times its rate), {@code throughput} (closed loop: {@code --concurrency}
 * clients, {@code --requests} requests of {@code --throughput-max-tokens} tokens, tenant "heavy"). {@code direct}
 * runs the warm-up and the throughput phase only. Latencies count from each request's due time (open loop), so
 * a late send is charged to the system, not hidden. TTFT is the first streamed chunk carrying a token; ITL the
 * gaps between such chunks.
 *
 * <p>Output: one JSON object (bench/gpu/report.py reads it) and a line per figure on stdout.
 */
public final class EndToEndLoad {

    private static final ObjectMapper JSON = new ObjectMapper();

    private EndToEndLoad() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || !(args[0].equals("http") || args[0].equals("direct"))) {
            System.err.println("usage: EndToEndLoad http|direct [--key value ...] (see the class comment)");
            System.exit(2);
        }
        Map<String, String> opts = new HashMap<>();
        for (int i = 1; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                System.err.println("EndToEndLoad: expected --option value, got " + args[i]);
                System.exit(2);
            }
            opts.put(args[i].substring(2), args[i + 1]);
        }
        Workload w = Workload.from(opts);
        ObjectNode out = JSON.createObjectNode();
        out.put("mode", args[0]);
        out.put("label", opts.getOrDefault("label", ""));
        out.put("date", java.time.Instant.now().toString());
        out.set("workload", JSON.valueToTree(w));
        try (Driver driver = args[0].equals("http") ? HttpDriver.open(opts) : DirectDriver.open(opts)) {
            Phases phases = new Phases(driver, w);
            phases.warmUp();
            if (args[0].equals("http")) {
                out.set("solo", phases.open("solo", 1, 0));
                out.set("mixed", phases.open("mixed", 2, w.ratio()));
            }
            out.set("throughput", phases.closed());
        }
        Path file = Path.of(required(opts, "out"));
        JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), out);
        System.out.println("wrote " + file);
        System.exit(0);
    }

    static String required(Map<String, String> opts, String key) {
        String v = opts.get(key);
        if (v == null) {
            throw new IllegalArgumentException("--" + key + " is required");
        }
        return v;
    }

    /**
     * What to send.
     *
     * @param systemTokens        shared prefix length
     * @param suffixTokens        unique tail length
     * @param maxTokens           output tokens per request in the solo and mixed phases
     * @param vocab               prompt ids are drawn from [10, vocab - 300), clear of special tokens
     * @param seed                prompts and arrivals
     * @param lightRps            tenant light's arrival rate
     * @param ratio               tenant heavy's rate as a multiple of light's
     * @param seconds             length of the solo and mixed phases (arrivals stop then; in-flight requests finish)
     * @param concurrency         closed-loop clients in the throughput phase
     * @param requests            requests in the throughput phase
     * @param throughputMaxTokens output tokens per request in the throughput phase
     */
    record Workload(int systemTokens, int suffixTokens, int maxTokens, int vocab, long seed, double lightRps,
                    double ratio, double seconds, int concurrency, int requests, int throughputMaxTokens) {

        Workload {
            if (systemTokens < 0 || suffixTokens < 1 || maxTokens < 1 || vocab < 400 || lightRps <= 0 || ratio <= 0
                    || seconds <= 0 || concurrency < 1 || requests < 1 || throughputMaxTokens < 1) {
                throw new IllegalArgumentException("invalid workload " + Arrays.asList(systemTokens, suffixTokens,
                        maxTokens, vocab, lightRps, ratio, seconds, concurrency, requests, throughputMaxTokens));
            }
        }

        static Workload from(Map<String, String> o) {
            return new Workload(Integer.parseInt(o.getOrDefault("system", "1024")),
                    Integer.parseInt(o.getOrDefault("suffix", "64")),
                    Integer.parseInt(o.getOrDefault("max-tokens", "128")),
                    Integer.parseInt(required(o, "vocab")),
                    Long.parseLong(o.getOrDefault("seed", "1")),
                    Double.parseDouble(o.getOrDefault("light-rps", "1")),
                    Double.parseDouble(o.getOrDefault("ratio", "10")),
                    Double.parseDouble(o.getOrDefault("seconds", "25")),
                    Integer.parseInt(o.getOrDefault("concurrency", "64")),
                    Integer.parseInt(o.getOrDefault("requests", "256")),
                    Integer.parseInt(o.getOrDefault("throughput-max-tokens", "128")));
        }

        /** The shared prefix followed by request {@code index}'s own tail of stream {@code stream}. */
        int[] prompt(int stream, int index) {
            int[] out = new int[systemTokens + suffixTokens];
            Random shared = new Random(seed);
            for (int i = 0; i < systemTokens; i++) {
                out[i] = 10 + shared.nextInt(vocab - 310);
            }
            Random own = new Random(seed * 1_000_003L + stream * 7_919L + index);
            for (int i = systemTokens; i < out.length; i++) {
                out[i] = 10 + own.nextInt(vocab - 310);
            }
            return out;
        }
    }

    /**
     * How one request went. Times in milliseconds from its due time; {@code error} is null when it succeeded.
     */
    record Outcome(String tenant, String error, double ttftMillis, double[] gapsMillis, int promptTokens,
                   int cachedTokens, int completionTokens, long endNanos) {

        static Outcome failed(String tenant, String error) {
            return new Outcome(tenant, error, Double.NaN, new double[0], 0, 0, 0, System.nanoTime());
        }
    }

    /** Sends one streamed generation and blocks until it ends; any thread. */
    interface Driver extends AutoCloseable {

        Outcome call(String tenant, int[] prompt, int maxTokens, long dueNanos);

        @Override
        void close();
    }

    /** The warm-up, open-loop and closed-loop phases, over any driver. */
    static final class Phases {
        private final Driver driver;
        private final Workload w;
        private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

        Phases(Driver driver, Workload w) {
            this.driver = driver;
            this.w = w;
        }

        /** Caches each tenant's shared prefix, then one burst at full concurrency (decode batch shapes, graphs). */
        void warmUp() throws Exception {
            for (String tenant : List.of("light", "heavy")) {
                for (int i = 0; i < 2; i++) {
                    Outcome o = driver.call(tenant, w.prompt(0, i), 8, System.nanoTime());
                    if (o.error() != null) {
                        throw new IllegalStateException("warm-up request of " + tenant + " failed: " + o.error());
                    }
                }
            }
            List<Future<Outcome>> burst = new ArrayList<>();
            for (int i = 0; i < w.concurrency(); i++) {
                int index = 100 + i;
                burst.add(threads.submit(() -> driver.call("heavy", w.prompt(0, index), 16, System.nanoTime())));
            }
            for (Future<Outcome> f : burst) {
                f.get(10, TimeUnit.MINUTES);
            }
            System.out.println("[warm-up] done");
        }

        /** Poisson arrivals of light (and heavy at {@code ratio} x, when ratio > 0) for the phase's seconds. */
        ObjectNode open(String name, int stream, double ratio) throws Exception {
            record Arrival(String tenant, long offsetNanos, int index) {
            }
            List<Arrival> arrivals = new ArrayList<>();
            Random rnd = new Random(w.seed() * 31 + stream);
            for (String tenant : ratio > 0 ? List.of("light", "heavy") : List.of("light")) {
                double rate = tenant.equals("light") ? w.lightRps() : w.lightRps() * ratio;
                double t = 0;
                for (int i = 0; ; i++) {
                    t += -Math.log(1 - rnd.nextDouble()) / rate;
                    if (t >= w.seconds()) {
                        break;
                    }
                    arrivals.add(new Arrival(tenant, (long) (t * 1e9), i));
                }
            }
            arrivals.sort((a, b) -> Long.compare(a.offsetNanos(), b.offsetNanos()));
            List<Future<Outcome>> futures = new ArrayList<>();
            long start = System.nanoTime();
            for (Arrival a : arrivals) {
                long due = start + a.offsetNanos();
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                int[] prompt = w.prompt(stream * 10 + (a.tenant().equals("light") ? 0 : 1), a.index());
                futures.add(threads.submit(() -> driver.call(a.tenant(), prompt, w.maxTokens(), due)));
            }
            List<Outcome> outcomes = collect(futures);
            long end = outcomes.stream().mapToLong(Outcome::endNanos).max().orElse(start);
            ObjectNode node = JSON.createObjectNode();
            double seconds = (end - start) / 1e9;
            node.put("seconds", seconds);
            long tokens = outcomes.stream().mapToLong(Outcome::completionTokens).sum();
            node.put("completion_tokens", tokens);
            node.put("tokens_per_second", tokens / seconds);
            for (String tenant : List.of("light", "heavy")) {
                List<Outcome> mine = outcomes.stream().filter(o -> o.tenant().equals(tenant)).toList();
                if (!mine.isEmpty()) {
                    node.set(tenant, summary(mine));
                    print(name + " " + tenant, node.get(tenant));
                }
            }
            System.out.printf(Locale.ROOT, "[%s] total %.1f tokens/s over %.1f s%n", name, tokens / seconds, seconds);
            return node;
        }

        /** {@code concurrency} clients sending back to back until {@code requests} requests are done. */
        ObjectNode closed() throws Exception {
            AtomicInteger next = new AtomicInteger();
            List<Future<List<Outcome>>> clients = new ArrayList<>();
            long start = System.nanoTime();
            for (int c = 0; c < w.concurrency(); c++) {
                clients.add(threads.submit(() -> {
                    List<Outcome> mine = new ArrayList<>();
                    for (int i = next.getAndIncrement(); i < w.requests(); i = next.getAndIncrement()) {
                        mine.add(driver.call("heavy", w.prompt(9, i), w.throughputMaxTokens(), System.nanoTime()));
                    }
                    return mine;
                }));
            }
            List<Outcome> outcomes = new ArrayList<>();
            for (Future<List<Outcome>> f : clients) {
                outcomes.addAll(f.get(30, TimeUnit.MINUTES));
            }
            long end = outcomes.stream().mapToLong(Outcome::endNanos).max().orElse(start);
            double seconds = (end - start) / 1e9;
            long tokens = outcomes.stream().mapToLong(Outcome::completionTokens).sum();
            ObjectNode node = summary(outcomes);
            node.put("seconds", seconds);
            node.put("concurrency", w.concurrency());
            node.put("tokens_per_second", tokens / seconds);
            print("throughput", node);
            System.out.printf(Locale.ROOT, "[throughput] %.1f tokens/s (%d tokens in %.2f s, %d clients)%n",
                    tokens / seconds, tokens, seconds, w.concurrency());
            return node;
        }

        private static List<Outcome> collect(List<Future<Outcome>> futures) throws Exception {
            List<Outcome> out = new ArrayList<>(futures.size());
            for (Future<Outcome> f : futures) {
                out.add(f.get(30, TimeUnit.MINUTES));
            }
            return out;
        }
    }

    /** Per-tenant figures of a set of outcomes. */
    static ObjectNode summary(List<Outcome> outcomes) {
        ObjectNode n = JSON.createObjectNode();
        List<Outcome> ok = outcomes.stream().filter(o -> o.error() == null).toList();
        n.put("requests", outcomes.size());
        n.put("errors", outcomes.size() - ok.size());
        outcomes.stream().filter(o -> o.error() != null).findFirst().ifPresent(o -> n.put("first_error", o.error()));
        double[] ttft = ok.stream().mapToDouble(Outcome::ttftMillis).filter(v -> !Double.isNaN(v)).toArray();
        double[] gaps = ok.stream().flatMapToDouble(o -> Arrays.stream(o.gapsMillis())).toArray();
        n.put("ttft_p50_ms", percentile(ttft, 50));
        n.put("ttft_p99_ms", percentile(ttft, 99));
        n.put("itl_p50_ms", percentile(gaps, 50));
        n.put("itl_p99_ms", percentile(gaps, 99));
        long prompt = ok.stream().mapToLong(Outcome::promptTokens).sum();
        long cached = ok.stream().mapToLong(Outcome::cachedTokens).sum();
        n.put("prompt_tokens", prompt);
        n.put("cached_tokens", cached);
        n.put("completion_tokens", ok.stream().mapToLong(Outcome::completionTokens).sum());
        n.put("cache_hit_ratio", prompt == 0 ? 0 : (double) cached / prompt);
        return n;
    }

    /** Nearest-rank percentile; NaN for no values. */
    public static double percentile(double[] values, double p) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static void print(String what, JsonNode n) {
        System.out.printf(Locale.ROOT, "[%s] requests=%d errors=%d ttft_p50_ms=%.1f ttft_p99_ms=%.1f itl_p99_ms=%.2f"
                        + " cache_hit_ratio=%.3f%s%n", what, n.path("requests").asInt(), n.path("errors").asInt(),
                n.path("ttft_p50_ms").asDouble(), n.path("ttft_p99_ms").asDouble(), n.path("itl_p99_ms").asDouble(),
                n.path("cache_hit_ratio").asDouble(),
                n.has("first_error") ? " first_error=" + n.path("first_error").asText() : "");
    }

    /** Streams {@code /v1/completions} from the gateway; tenants are told apart by their API keys. */
    static final class HttpDriver implements Driver {
        private final HttpClient http;
        private final URI completions;
        private final String model;
        private final Map<String, String> keys;

        private HttpDriver(URI base, String model, Map<String, String> keys) {
            this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10)).executor(Executors.newVirtualThreadPerTaskExecutor())
                    .build();
            this.completions = base.resolve("/v1/completions");
            this.model = model;
            this.keys = Map.copyOf(keys);
        }

        static HttpDriver open(Map<String, String> o) throws Exception {
            URI base = URI.create(o.getOrDefault("base-url", "http://127.0.0.1:18080"));
            HttpDriver d = new HttpDriver(base, required(o, "model"),
                    Map.of("light", required(o, "light-key"), "heavy", required(o, "heavy-key")));
            d.awaitReady(base.resolve("/health/ready"), Double.parseDouble(o.getOrDefault("ready-timeout", "300")));
            return d;
        }

        /** Polls the readiness endpoint: the gateway answers 200 once its models are loaded. */
        private void awaitReady(URI ready, double seconds) throws Exception {
            long deadline = System.nanoTime() + (long) (seconds * 1e9);
            String last = "no answer";
            while (System.nanoTime() < deadline) {
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(5))
                            .build(), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200) {
                        System.out.println("[ready] " + ready);
                        return;
                    }
                    last = r.statusCode() + " " + r.body();
                } catch (IOException e) {
                    last = e.toString();
                }
                Thread.sleep(500);
            }
            throw new IllegalStateException("the gateway at " + ready + " was not ready within " + seconds + " s: "
                    + last);
        }

        @Override
        public Outcome call(String tenant, int[] prompt, int maxTokens, long dueNanos) {
            ObjectNode body = JSON.createObjectNode();
            body.put("model", model);
            ArrayNode ids = body.putArray("prompt");
            for (int id : prompt) {
                ids.add(id);
            }
            body.put("max_tokens", maxTokens);
            body.put("temperature", 0);
            body.put("stream", true);
            body.putObject("stream_options").put("include_usage", true);
            body.put("ignore_eos", true);
            HttpRequest request = HttpRequest.newBuilder(completions).timeout(Duration.ofMinutes(10))
                    .header("Authorization", "Bearer " + Objects.requireNonNull(keys.get(tenant), tenant))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
            Timing timing = new Timing(dueNanos);
            int promptTokens = 0;
            int cached = 0;
            int completion = 0;
            try {
                HttpResponse<Stream<String>> r = http.send(request, HttpResponse.BodyHandlers.ofLines());
                try (Stream<String> lines = r.body()) {
                    if (r.statusCode() != 200) {
                        return Outcome.failed(tenant, "HTTP " + r.statusCode() + ": "
                                + String.join(" ", lines.limit(5).toList()));
                    }
                    Iterator<String> it = lines.iterator();
                    while (it.hasNext()) {
                        String line = it.next();
                        if (!line.startsWith("data:")) {
                            continue;
                        }
                        String payload = line.substring(5).trim();
                        if (payload.equals("[DONE]")) {
                            break;
                        }
                        JsonNode chunk = JSON.readTree(payload);
                        if (chunk.has("error")) {
                            return Outcome.failed(tenant, "stream error: " + chunk.get("error"));
                        }
                        if (carriesToken(chunk.path("choices"))) {
                            timing.token();
                        }
                        JsonNode usage = chunk.path("usage");
                        if (usage.isObject()) {
                            promptTokens = usage.path("prompt_tokens").asInt();
                            completion = usage.path("completion_tokens").asInt();
                            cached = usage.path("prompt_tokens_details").path("cached_tokens").asInt();
                        }
                    }
                }
            } catch (IOException e) {
                return Outcome.failed(tenant, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Outcome.failed(tenant, "interrupted");
            }
            if (completion == 0) {
                return Outcome.failed(tenant, "the stream ended without usage");
            }
            return timing.outcome(tenant, promptTokens, cached, completion);
        }

        /** A chunk with text, or a choice not yet finished (the closing chunk of a choice carries no token). */
        private static boolean carriesToken(JsonNode choices) {
            for (JsonNode c : choices) {
                if (!c.path("text").asText("").isEmpty() || c.path("finish_reason").isNull()) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public void close() {
            http.close();
        }
    }

    /** Submits to an engine opened in this process from the gateway's own configuration file. */
    static final class DirectDriver implements Driver {
        private final InferenceEngine engine;
        private final AtomicInteger ids = new AtomicInteger();

        private DirectDriver(InferenceEngine engine) {
            this.engine = engine;
        }

        static DirectDriver open(Map<String, String> o) throws IOException {
            FairlaneConfig config = new ConfigLoader().load(Path.of(required(o, "config")));
            String id = required(o, "model");
            if (!(config.model(id).orElseThrow(() -> new IllegalArgumentException("no model " + id + " in config"))
                    instanceof LocalModelConfig local)) {
                throw new IllegalArgumentException("model " + id + " is not a local model");
            }
            long t0 = System.nanoTime();
            InferenceEngine engine = Engines.open(local.toEngineConfig(config.tenants().stream()
                    .map(TenantConfig::toSpec).toList()), SchedulerStats.disabled());
            System.out.printf(Locale.ROOT, "[engine] %s opened in %.1f s%n", id, (System.nanoTime() - t0) / 1e9);
            return new DirectDriver(engine);
        }

        @Override
        public Outcome call(String tenant, int[] prompt, int maxTokens, long dueNanos) {
            SamplingParams greedy = new SamplingParams(0, 1, 0, 0, OptionalLong.empty(), 0, 0, Map.of(), false, 0,
                    maxTokens, List.of(), true);
            Timing timing = new Timing(dueNanos);
            CompletableFuture<Outcome> done = new CompletableFuture<>();
            try {
                engine.submit(new GenerationRequest("e2e-" + ids.incrementAndGet(), tenant, ServiceTier.DEFAULT,
                        tenant, new PreparedPrompt(prompt, ""), greedy, 1), event -> {
                            switch (event) {
                                case TokenEvent.Token t -> timing.token();
                                case TokenEvent.Finished f -> done.complete(timing.outcome(tenant,
                                        f.usage().promptTokens(), f.usage().cachedTokens(),
                                        f.usage().completionTokens()));
                                case TokenEvent.Failed f -> done.complete(Outcome.failed(tenant,
                                        f.error().getMessage()));
                                default -> {
                                }
                            }
                        });
                return done.get(10, TimeUnit.MINUTES);
            } catch (Exception e) {
                return Outcome.failed(tenant, e.toString());
            }
        }

        @Override
        public void close() {
            engine.close();
        }
    }

    /** Token arrival times of one request; confined to the thread delivering its tokens. */
    static final class Timing {
        private final long dueNanos;
        private long first = -1;
        private long last;
        private final List<Double> gaps = new ArrayList<>();

        Timing(long dueNanos) {
            this.dueNanos = dueNanos;
        }

        void token() {
            long now = System.nanoTime();
            if (first < 0) {
                first = now;
            } else {
                gaps.add((now - last) / 1e6);
            }
            last = now;
        }

        Outcome outcome(String tenant, int promptTokens, int cached, int completion) {
            if (first < 0) {
                return Outcome.failed(tenant, "no token arrived");
            }
            return new Outcome(tenant, null, (first - dueNanos) / 1e6,
                    gaps.stream().mapToDouble(Double::doubleValue).toArray(), promptTokens, cached, completion,
                    System.nanoTime());
        }
    }
}
