package io.fairlane.bench.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Prefix-cache and batching benchmarks of a Fairlane local engine, through its OpenAI HTTP API.
 *
 * <p>Run by {@code bench/engine/run-http.sh}, or against any server:
 * {@code java -cp BENCH_CP io.fairlane.bench.engine.EngineBench <scenario> [--key value ...]}. Uses the JDK alone.
 * Prompts are token-id arrays on {@code /v1/completions}, so their lengths are exact whatever the tokenizer.
 * Time to first token (TTFT) is measured at the client: from sending the request to the first streamed chunk
 * that carries a choice.
 *
 * <ul>
 *   <li>{@code prefix}: TTFT of a request whose first {@code --prefix} tokens are cached (sent once before)
 *       against the same shape cold (a fresh prefix each time); medians over {@code --repeats}.</li>
 *   <li>{@code concurrency}: {@code --streams} requests one at a time, then all at once; total output tokens/s
 *       of each, after a warm-up of both (two requests alone, then {@code --streams} at once, of
 *       {@code --warmup-tokens} each).</li>
 *   <li>{@code fairness}: tenant "light" sends at {@code --light-rps}, tenant "heavy" at {@code --ratio} times
 *       that, both with Poisson arrivals, for {@code --seconds}; then "light" alone. Prints light's
 *       p50/p90/p99 TTFT in both runs. Run once per scheduling policy (the script starts one server each).</li>
 * </ul>
 *
 * <p>Output: one line per figure, {@code key=value}, for docs/benchmarks.md.
 */
public final class EngineBench {

    private static final Pattern TOTAL_TOKENS = Pattern.compile("\"completion_tokens\"\\s*:\\s*(\\d+)");
    private static final Pattern CACHED_TOKENS = Pattern.compile("\"cached_tokens\"\\s*:\\s*(\\d+)");

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).executor(Executors.newVirtualThreadPerTaskExecutor()).build();
    private final Map<String, String> opts;
    private final URI completions;
    private final String model;
    private final int vocab;
    private final Random random;

    private EngineBench(Map<String, String> opts) {
        this.opts = opts;
        this.completions = URI.create(opt("base-url", "http://127.0.0.1:8080/v1") + "/completions");
        this.model = opt("model", "fairlane-tiny");
        this.vocab = Integer.parseInt(opt("vocab", "256"));
        this.random = new Random(Long.parseLong(opt("seed", "1")));
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: EngineBench prefix|concurrency|fairness [--base-url URL] [--model ID]"
                    + " [--api-key K] [--vocab N] ...");
            System.exit(2);
        }
        Map<String, String> opts = new HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option, got " + args[i]);
            }
            opts.put(args[i].substring(2), args[i + 1]);
        }
        EngineBench bench = new EngineBench(opts);
        switch (args[0]) {
            case "prefix" -> bench.prefix();
            case "concurrency" -> bench.concurrency();
            case "fairness" -> bench.fairness();
            default -> throw new IllegalArgumentException("unknown scenario " + args[0]);
        }
    }

    private String opt(String key, String fallback) {
        return opts.getOrDefault(key, fallback);
    }

    private int intOpt(String key, int fallback) {
        return Integer.parseInt(opt(key, Integer.toString(fallback)));
    }

    // ---------------------------------------------------------------------------------------------------

    private void prefix() {
        int prefix = intOpt("prefix", 4000);
        int suffix = intOpt("suffix", 16);
        int repeats = intOpt("repeats", 5);
        String key = opt("api-key", "");
        List<Double> cold = new ArrayList<>();
        List<Double> warm = new ArrayList<>();
        List<Integer> cachedReported = new ArrayList<>();
        send(key, tokens(64), 1); // warm the JIT and the connection
        for (int r = 0; r < repeats; r++) {
            int[] head = tokens(prefix);
            // Cold: a prefix never seen before.
            cold.add(send(key, concat(head, tokens(suffix)), 1).ttftMillis());
            // Warm: the same prefix again with a different tail: only the tail is computed.
            Result hit = send(key, concat(head, tokens(suffix)), 1);
            warm.add(hit.ttftMillis());
            cachedReported.add(hit.cachedTokens());
        }
        double coldMedian = median(cold);
        double warmMedian = median(warm);
        System.out.printf(Locale.ROOT, "prefix_tokens=%d suffix_tokens=%d repeats=%d%n", prefix, suffix, repeats);
        System.out.printf(Locale.ROOT, "ttft_cold_ms_median=%.1f ttft_cold_ms=%s%n", coldMedian, fmt(cold));
        System.out.printf(Locale.ROOT, "ttft_cached_ms_median=%.1f ttft_cached_ms=%s%n", warmMedian, fmt(warm));
        System.out.printf(Locale.ROOT, "cached_tokens_reported=%s%n", cachedReported);
        System.out.printf(Locale.ROOT, "speedup=%.2f%n", coldMedian / warmMedian);
    }

    private void concurrency() throws Exception {
        int streams = intOpt("streams", 16);
        int promptTokens = intOpt("prompt", 128);
        int maxTokens = intOpt("max-tokens", 128);
        String key = opt("api-key", "");
        List<int[]> prompts = freshPrompts(streams, promptTokens);
        // Both shapes of work are warmed before either is timed: the batch-1 step and the batched one run different
        // kernels, and a JIT that first meets the batched step inside the timed concurrent pass charges its
        // compilation to that pass alone.
        int warmTokens = intOpt("warmup-tokens", 32);
        for (int i = 0; i < 2; i++) {
            send(key, tokens(promptTokens), warmTokens);
        }
        concurrent(key, freshPrompts(streams, promptTokens), warmTokens);
        long t0 = System.nanoTime();
        long sequentialTokens = 0;
        for (int[] p : prompts) {
            sequentialTokens += send(key, p, maxTokens).completionTokens();
        }
        double sequentialSeconds = (System.nanoTime() - t0) / 1e9;
        // New prompts: no prefix-cache help for the concurrent run.
        List<int[]> fresh = freshPrompts(streams, promptTokens);
        long t1 = System.nanoTime();
        long concurrentTokens = concurrent(key, fresh, maxTokens);
        double concurrentSeconds = (System.nanoTime() - t1) / 1e9;
        double seqRate = sequentialTokens / sequentialSeconds;
        double conRate = concurrentTokens / concurrentSeconds;
        System.out.printf(Locale.ROOT, "streams=%d prompt_tokens=%d max_tokens=%d%n", streams, promptTokens, maxTokens);
        System.out.printf(Locale.ROOT, "one_at_a_time_tokens=%d seconds=%.2f tokens_per_s=%.1f%n", sequentialTokens,
                sequentialSeconds, seqRate);
        System.out.printf(Locale.ROOT, "concurrent_tokens=%d seconds=%.2f tokens_per_s=%.1f%n", concurrentTokens,
                concurrentSeconds, conRate);
        System.out.printf(Locale.ROOT, "speedup=%.2f%n", conRate / seqRate);
    }

    private List<int[]> freshPrompts(int streams, int promptTokens) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            out.add(tokens(promptTokens));
        }
        return out;
    }

    /** Sends every prompt at once and returns the output tokens of all. */
    private long concurrent(String key, List<int[]> prompts, int maxTokens) throws Exception {
        long total = 0;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Result>> futures = new ArrayList<>();
            for (int[] p : prompts) {
                futures.add(pool.submit(() -> send(key, p, maxTokens)));
            }
            for (Future<Result> f : futures) {
                total += f.get().completionTokens();
            }
        }
        return total;
    }

    private void fairness() throws Exception {
        double lightRps = Double.parseDouble(opt("light-rps", "0.5"));
        double ratio = Double.parseDouble(opt("ratio", "10"));
        int seconds = intOpt("seconds", 60);
        int promptTokens = intOpt("prompt", 256);
        int maxTokens = intOpt("max-tokens", 32);
        String lightKey = opt("light-key", "");
        String heavyKey = opt("heavy-key", "");
        send(lightKey, tokens(32), 2);
        List<Double> solo = runTenants(lightKey, lightRps, null, 0, seconds, promptTokens, maxTokens).get("light");
        Map<String, List<Double>> shared = runTenants(lightKey, lightRps, heavyKey, lightRps * ratio, seconds,
                promptTokens, maxTokens);
        List<Double> contended = shared.get("light");
        System.out.printf(Locale.ROOT, "light_rps=%.2f heavy_rps=%.2f seconds=%d prompt_tokens=%d max_tokens=%d%n",
                lightRps, lightRps * ratio, seconds, promptTokens, maxTokens);
        System.out.printf(Locale.ROOT, "light_solo n=%d p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f%n", solo.size(),
                pct(solo, 50), pct(solo, 90), pct(solo, 99));
        System.out.printf(Locale.ROOT, "light_with_heavy n=%d p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f%n", contended.size(),
                pct(contended, 50), pct(contended, 90), pct(contended, 99));
        List<Double> heavy = shared.get("heavy");
        System.out.printf(Locale.ROOT, "heavy n=%d p50_ms=%.1f p99_ms=%.1f%n", heavy.size(), pct(heavy, 50),
                pct(heavy, 99));
        System.out.printf(Locale.ROOT, "light_p99_ratio=%.2f%n", pct(contended, 99) / pct(solo, 99));
    }

    /** Poisson arrivals per tenant for {@code seconds}; waits for every request; TTFTs in ms per tenant. */
    private Map<String, List<Double>> runTenants(String lightKey, double lightRps, String heavyKey, double heavyRps,
                                                 int seconds, int promptTokens, int maxTokens) throws Exception {
        Map<String, ConcurrentLinkedQueue<Double>> ttft = Map.of("light", new ConcurrentLinkedQueue<>(),
                "heavy", new ConcurrentLinkedQueue<>());
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> arrivals = new ArrayList<>();
            arrivals.add(pool.submit(() -> arrive(pool, lightKey, lightRps, seconds, promptTokens, maxTokens,
                    ttft.get("light"), new Random(random.nextLong()))));
            if (heavyKey != null) {
                arrivals.add(pool.submit(() -> arrive(pool, heavyKey, heavyRps, seconds, promptTokens, maxTokens,
                        ttft.get("heavy"), new Random(random.nextLong()))));
            }
            for (Future<?> f : arrivals) {
                f.get();
            }
        } // close() waits for the requests in flight
        return Map.of("light", List.copyOf(ttft.get("light")), "heavy", List.copyOf(ttft.get("heavy")));
    }

    private Void arrive(ExecutorService pool, String key, double rps, int seconds, int promptTokens, int maxTokens,
                        ConcurrentLinkedQueue<Double> out, Random r) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long next = System.nanoTime();
        while (true) {
            next += (long) (-Math.log(1 - r.nextDouble()) / rps * 1e9);
            if (next > end) {
                return null;
            }
            long wait = next - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            int[] prompt = tokens(promptTokens, r);
            pool.submit(() -> out.add(send(key, prompt, maxTokens).ttftMillis()));
        }
    }

    // ---------------------------------------------------------------------------------------------------

    record Result(double ttftMillis, int completionTokens, int cachedTokens) {
    }

    /** Streams one completion; returns client-side TTFT and the usage the server reported. */
    private Result send(String apiKey, int[] prompt, int maxTokens) {
        String body = "{\"model\":\"" + model + "\",\"prompt\":" + Arrays.toString(prompt).replace(" ", "")
                + ",\"max_tokens\":" + maxTokens + ",\"temperature\":0,\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true}"
                + (Boolean.parseBoolean(opt("ignore-eos", "false")) ? ",\"ignore_eos\":true}" : "}");
        HttpRequest.Builder request = HttpRequest.newBuilder(completions).timeout(Duration.ofMinutes(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (!apiKey.isEmpty()) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        long start = System.nanoTime();
        long first = -1;
        int completion = 0;
        int cached = 0;
        try {
            HttpResponse<Stream<String>> response = http.send(request.build(), HttpResponse.BodyHandlers.ofLines());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("HTTP " + response.statusCode() + ": "
                        + String.join("\n", response.body().toList()));
            }
            for (String line : (Iterable<String>) response.body()::iterator) {
                if (!line.startsWith("data:") || line.contains("[DONE]")) {
                    continue;
                }
                if (first < 0 && line.contains("\"text\"")) {
                    first = System.nanoTime();
                }
                if (line.contains("{\"error\":")) { // not the text "error", which a random model may emit
                    throw new IllegalStateException("stream error: " + line);
                }
                Matcher m = TOTAL_TOKENS.matcher(line);
                if (m.find()) {
                    completion = Integer.parseInt(m.group(1));
                }
                Matcher c = CACHED_TOKENS.matcher(line);
                if (c.find()) {
                    cached = Integer.parseInt(c.group(1));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        if (first < 0) {
            throw new IllegalStateException("no token streamed");
        }
        return new Result((first - start) / 1e6, completion, cached);
    }

    private int[] tokens(int n) {
        return tokens(n, random);
    }

    /** Random ids in [10, vocab): clear of the low ids where special tokens usually sit. */
    private int[] tokens(int n, Random r) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = 10 + r.nextInt(vocab - 10);
        }
        return ids;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static double median(List<Double> xs) {
        return pct(xs, 50);
    }

    /** Nearest-rank percentile. */
    private static double pct(List<Double> xs, double p) {
        if (xs.isEmpty()) {
            return Double.NaN;
        }
        double[] sorted = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    private static String fmt(List<Double> xs) {
        return xs.stream().map(x -> String.format(Locale.ROOT, "%.1f", x)).toList().toString().replace(" ", "");
    }
}
