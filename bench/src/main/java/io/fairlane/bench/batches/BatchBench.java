package io.fairlane.bench.batches;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.fairlane.bench.BenchArgs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * Batch benchmarks against a running Fairlane (started by the scripts under {@code bench/batches/}).
 *
 * <ul>
 *   <li>{@code stub}: serves a fast stub upstream ({@code POST /v1/chat/completions} answered at once) on
 *       {@code --port} until killed, for the throughput run's gateway to forward to.</li>
 *   <li>{@code throughput}: uploads a {@code --lines}-line chat batch for {@code --model}, creates the batch and polls
 *       it; prints the validation time, lines per second while in progress, and the finalization time.</li>
 *   <li>{@code isolation}: on a local model (token-id prompts on {@code /v1/completions}, {@code --prompt} tokens,
 *       {@code --max-tokens} out): (0) unmeasured warm-up, the interactive load for {@code --warmup-s} (default
 *       20) beside a batch a tenth the size; (1) the interactive tenant alone at {@code --interactive-rps}
 *       (Poisson) for {@code --seconds}: its p50/p99 TTFT; (2) the batch tenant's {@code --lines}-line batch alone: lines per second
 *       at full capacity; (3) the same batch again with the interactive load beside it: the interactive p99 TTFT
 *       against (1), and the batch's lines per second against the capacity the interactive tenant left idle
 *       (capacity from (2) times one minus the interactive tenant's share, its rate over that capacity).</li>
 * </ul>
 *
 * <p>Output: {@code key=value} lines for docs/benchmarks.md.
 */
public final class BatchBench {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BOUNDARY = "fairlane-bench-boundary";
    private static final java.util.Set<String> KNOWN = java.util.Set.of("base-url", "port", "threads", "lines",
            "api-key", "model", "seconds", "interactive-rps", "prompt", "max-tokens", "vocab", "interactive-key",
            "batch-key", "seed", "warmup-s");

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).executor(Executors.newVirtualThreadPerTaskExecutor()).build();
    private final Map<String, String> opts;
    private final URI base;

    private BatchBench(Map<String, String> opts) {
        this.opts = opts;
        this.base = URI.create(opts.getOrDefault("base-url", "http://127.0.0.1:8080/v1") + "/");
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: BatchBench stub|throughput|isolation [--key value ...] (see the class comment)");
            System.exit(2);
        }
        BatchBench bench = new BatchBench(BenchArgs.parse(Arrays.asList(args).subList(1, args.length), KNOWN).values());
        switch (args[0]) {
            case "stub" -> bench.stub();
            case "throughput" -> bench.throughput();
            case "isolation" -> bench.isolation();
            default -> throw new IllegalArgumentException("unknown scenario " + args[0]);
        }
    }

    private String opt(String key, String fallback) {
        return opts.getOrDefault(key, fallback);
    }

    private int intOpt(String key, int fallback) {
        return Integer.parseInt(opt(key, String.valueOf(fallback)));
    }

    // ------------------------------------------------------------------------------------------ stub

    private void stub() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                intOpt("port", 28418)), 4096);
        server.setExecutor(Executors.newFixedThreadPool(intOpt("threads", 8)));
        byte[] answer = ("{\"id\":\"chatcmpl-b\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"stub\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},"
                + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":1,"
                + "\"total_tokens\":9}}").getBytes(StandardCharsets.UTF_8);
        server.createContext("/v1/chat/completions", exchange -> {
            exchange.getRequestBody().transferTo(java.io.OutputStream.nullOutputStream());
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
        System.out.println("stub listening on " + server.getAddress().getPort());
        Thread.currentThread().join();
    }

    // ------------------------------------------------------------------------------------------ throughput

    private void throughput() throws Exception {
        int lines = intOpt("lines", 10_000);
        String key = opt("api-key", "");
        StringBuilder jsonl = new StringBuilder(lines * 160);
        for (int i = 0; i < lines; i++) {
            jsonl.append("{\"custom_id\":\"l").append(i).append("\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                    + "\"body\":{\"model\":\"").append(opt("model", "stub")).append("\",\"max_tokens\":8,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"line ").append(i).append("\"}]}}\n");
        }
        Run run = runBatch(key, "/v1/chat/completions", jsonl.toString());
        System.out.printf(Locale.ROOT, "lines=%d validating_ms=%d in_progress_ms=%d finalizing_ms=%d%n", lines,
                run.validatingMillis(), run.runningMillis(), run.finalizingMillis());
        System.out.printf(Locale.ROOT, "lines_per_second=%.0f completed=%d failed=%d%n",
                lines / (run.runningMillis() / 1000.0), run.completed(), run.failed());
    }

    /** How one batch went: milliseconds in each phase (as polled), and its final counts. */
    record Run(long validatingMillis, long runningMillis, long finalizingMillis, long completed, long failed) {
    }

    private Run runBatch(String key, String endpoint, String jsonl) throws Exception {
        String fileId = upload(key, jsonl.getBytes(StandardCharsets.UTF_8));
        JsonNode batch = post(key, "batches", "{\"input_file_id\":\"" + fileId + "\",\"endpoint\":\"" + endpoint
                + "\",\"completion_window\":\"24h\"}");
        String id = batch.get("id").asText();
        long created = System.nanoTime();
        long started = -1;
        long finalizing = -1;
        while (true) {
            Thread.sleep(20);
            batch = get(key, "batches/" + id);
            String status = batch.get("status").asText();
            long now = System.nanoTime();
            if (started < 0 && !status.equals("validating")) {
                started = now;
            }
            if (finalizing < 0 && !status.equals("validating") && !status.equals("in_progress")) {
                finalizing = now;
            }
            if (!status.equals("validating") && !status.equals("in_progress") && !status.equals("finalizing")) {
                if (!status.equals("completed")) {
                    throw new IllegalStateException("the batch ended " + status + ": " + batch);
                }
                JsonNode counts = batch.get("request_counts");
                return new Run((started - created) / 1_000_000, (finalizing - started) / 1_000_000,
                        (now - finalizing) / 1_000_000, counts.get("completed").asLong(), counts.get("failed").asLong());
            }
        }
    }

    // ------------------------------------------------------------------------------------------ isolation

    private void isolation() throws Exception {
        int lines = intOpt("lines", 10_000);
        int seconds = intOpt("seconds", 60);
        double rps = Double.parseDouble(opt("interactive-rps", "2"));
        int promptTokens = intOpt("prompt", 256);
        int maxTokens = intOpt("max-tokens", 16);
        int vocab = intOpt("vocab", 30_000);
        String interactiveKey = opt("interactive-key", "");
        String batchKey = opt("batch-key", "");
        Random random = new Random(Long.parseLong(opt("seed", "1")));
        String model = opt("model", "bench");
        String jsonl = completionLines(lines, model, promptTokens, maxTokens, vocab, random);

        send(interactiveKey, model, tokens(32, vocab, random), 2);
        int warmup = intOpt("warmup-s", 20);
        if (warmup > 0) {
            // A fresh server's first requests run in the interpreter: both paths run together for a while, unmeasured,
            // so that neither the solo tail nor the batch alone carries the JIT's warm-up.
            Thread load = Thread.ofVirtual().start(() -> interactive(interactiveKey, model, rps, warmup, promptTokens,
                    maxTokens, vocab, new Random(random.nextLong()), new AtomicBoolean(true)));
            runBatch(batchKey, "/v1/completions", completionLines(Math.max(1, lines / 10), model, promptTokens,
                    maxTokens, vocab, random));
            load.join();
        }
        List<Double> solo = interactive(interactiveKey, model, rps, seconds, promptTokens, maxTokens, vocab,
                new Random(random.nextLong()), new AtomicBoolean(true));
        Run alone = runBatch(batchKey, "/v1/completions", jsonl);
        double capacity = lines / (alone.runningMillis() / 1000.0);

        AtomicBoolean going = new AtomicBoolean(true);
        ConcurrentLinkedQueue<Double> together = new ConcurrentLinkedQueue<>();
        Thread load = Thread.ofVirtual().start(() -> {
            // Interactive load for as long as the batch runs (at least --seconds), so every TTFT has the batch beside it.
            while (going.get()) {
                together.addAll(interactive(interactiveKey, model, rps, 10, promptTokens, maxTokens, vocab,
                        new Random(random.nextLong()), going));
            }
        });
        Run shared = runBatch(batchKey, "/v1/completions", completionLines(lines, model, promptTokens, maxTokens, vocab,
                random));
        going.set(false);
        load.join();
        double withLoad = lines / (shared.runningMillis() / 1000.0);
        double interactiveShare = Math.min(1.0, rps / capacity);
        double idle = capacity * (1 - interactiveShare);
        List<Double> contended = List.copyOf(together);
        System.out.printf(Locale.ROOT, "interactive_rps=%.2f prompt_tokens=%d max_tokens=%d lines=%d%n", rps,
                promptTokens, maxTokens, lines);
        System.out.printf(Locale.ROOT, "interactive_solo n=%d p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f%n",
                solo.size(), pct(solo, 50), pct(solo, 90), pct(solo, 99), pct(solo, 100));
        System.out.printf(Locale.ROOT, "interactive_with_batch n=%d p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f%n",
                contended.size(), pct(contended, 50), pct(contended, 90), pct(contended, 99), pct(contended, 100));
        System.out.printf(Locale.ROOT, "p99_ttft_ratio=%.2f%n", pct(contended, 99) / pct(solo, 99));
        System.out.printf(Locale.ROOT, "batch_alone_lines_per_second=%.1f batch_with_interactive_lines_per_second=%.1f%n",
                capacity, withLoad);
        System.out.printf(Locale.ROOT, "interactive_share=%.3f idle_capacity_lines_per_second=%.1f "
                + "batch_use_of_idle=%.2f%n", interactiveShare, idle, withLoad / idle);
    }

    private static String completionLines(int lines, String model, int promptTokens, int maxTokens, int vocab,
                                          Random random) {
        StringBuilder jsonl = new StringBuilder(lines * promptTokens * 6);
        for (int i = 0; i < lines; i++) {
            jsonl.append("{\"custom_id\":\"l").append(i).append("\",\"method\":\"POST\",\"url\":\"/v1/completions\","
                    + "\"body\":{\"model\":\"").append(model).append("\",\"max_tokens\":").append(maxTokens)
                    .append(",\"temperature\":0,\"ignore_eos\":true,\"prompt\":")
                    .append(Arrays.toString(tokens(promptTokens, vocab, random)).replace(" ", "")).append("}}\n");
        }
        return jsonl.toString();
    }

    /** Poisson arrivals for {@code seconds} (or until {@code going} turns false); TTFTs in ms. */
    private List<Double> interactive(String key, String model, double rps, int seconds, int promptTokens, int maxTokens,
                                     int vocab, Random r, AtomicBoolean going) {
        ConcurrentLinkedQueue<Double> ttft = new ConcurrentLinkedQueue<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            long next = System.nanoTime();
            while (going.get()) {
                next += (long) (-Math.log(1 - r.nextDouble()) / rps * 1e9);
                if (next > end) {
                    break;
                }
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                int[] prompt = tokens(promptTokens, vocab, r);
                pool.submit(() -> ttft.add(send(key, model, prompt, maxTokens)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return List.copyOf(ttft);
    }

    /** Streams one completion; the client-side TTFT in ms (to the first chunk that carries text). */
    private double send(String key, String model, int[] prompt, int maxTokens) {
        String body = "{\"model\":\"" + model + "\",\"prompt\":" + Arrays.toString(prompt).replace(" ", "")
                + ",\"max_tokens\":" + maxTokens + ",\"temperature\":0,\"stream\":true,\"ignore_eos\":true}";
        HttpRequest request = HttpRequest.newBuilder(base.resolve("completions")).timeout(Duration.ofMinutes(10))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long start = System.nanoTime();
        try {
            HttpResponse<Stream<String>> response = http.send(request, HttpResponse.BodyHandlers.ofLines());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("HTTP " + response.statusCode());
            }
            long first = -1;
            for (String line : (Iterable<String>) response.body()::iterator) {
                if (first < 0 && line.startsWith("data:") && line.contains("\"text\"")) {
                    first = System.nanoTime();
                }
            }
            return (first - start) / 1e6;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int[] tokens(int n, int vocab, Random r) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = 10 + r.nextInt(vocab - 10);
        }
        return ids;
    }

    // ------------------------------------------------------------------------------------------ HTTP

    private String upload(String key, byte[] content) throws Exception {
        ByteArrayOutputStream body = new ByteArrayOutputStream(content.length + 512);
        body.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--"
                + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench.jsonl\"\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        body.writeBytes(content);
        body.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("files"))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("upload: HTTP " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body()).get("id").asText();
    }

    private JsonNode post(String key, String path, String json) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve(path)).header("Authorization",
                "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(path + ": HTTP " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }

    private JsonNode get(String key, String path) throws Exception {
        return JSON.readTree(http.send(HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer "
                + key).build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    private static double pct(List<Double> xs, double p) {
        if (xs.isEmpty()) {
            return Double.NaN;
        }
        double[] sorted = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }
}
