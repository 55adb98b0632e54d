package io.fairlane.bench.routing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fairlane.bench.BenchArgs;
import io.fairlane.bench.BenchArgs.UsageException;
import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.FairlaneConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What failover and shadow traffic cost a client, end to end through a gateway in this JVM, against stub upstreams
 * on loopback. Five models, measured in interleaved rounds (so drift on a shared machine spreads over all of them):
 * <ul>
 *   <li>{@code direct}: one healthy target, the baseline;</li>
 *   <li>{@code dead-primary}: a primary nothing listens on (connect refused), a healthy fallback;</li>
 *   <li>{@code reset-primary}: a primary that resets every connection once it read the request;</li>
 *   <li>{@code silent-primary}: a primary that accepts and never answers (first-byte timeout 1 s);</li>
 *   <li>{@code shadow}: one healthy target, every request mirrored to a second stub.</li>
 * </ul>
 * Open loop: requests leave at a fixed {@code --rate} per second whatever the answers do, each timed from the moment
 * it was due (so a stall counts for every request it delays), {@code --requests} per model in all. A closed loop on a
 * machine short of cores would measure the CPU the mirror or the retries take from the load generator, not what they
 * add to a request. Prints, per model, latency percentiles, the extra p99 over {@code direct}, and how many requests
 * took a second or more (the silent primary's first-byte timeouts: those in flight before its first ejection, then
 * one per half-open probe).
 *
 * <pre>bench/routing/run.sh   (or: java -cp ... io.fairlane.bench.routing.RoutingLatencyBench --requests 20000)</pre>
 */
public final class RoutingLatencyBench {

    private static final String KEY = "sk-bench-routing";
    private static final byte[] ANSWER = ("{\"id\":\"chatcmpl-b\",\"object\":\"chat.completion\",\"created\":1,"
            + "\"model\":\"stub\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
            + "\"The quick brown fox.\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,"
            + "\"completion_tokens\":5,\"total_tokens\":14}}").getBytes(StandardCharsets.UTF_8);
    private static final List<String> MODELS = List.of("direct", "dead-primary", "reset-primary", "silent-primary",
            "shadow");

    private RoutingLatencyBench() {
    }

    public static void main(String[] args) throws Exception {
        BenchArgs a;
        try {
            a = BenchArgs.parse(List.of(args), Set.of("requests", "rate", "rounds", "warmup"));
        } catch (UsageException e) {
            System.err.println("routing bench: " + e.getMessage());
            System.exit(2);
            return;
        }
        int requests = (int) a.longValue("requests", 10_000);
        double rate = a.doubleValue("rate", 100);
        int rounds = (int) a.longValue("rounds", 5);
        int warmup = (int) a.longValue("warmup", 1000);
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpServer stub = stub();
        HttpServer shadow = stub();
        try (ServerSocket silent = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
             ServerSocket resetting = new ServerSocket(0, 100, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> hold(silent));
            Thread.ofVirtual().start(() -> reset(resetting));
            int dead;
            try (ServerSocket s = new ServerSocket(0)) {
                dead = s.getLocalPort();
            }
            Gateway gateway = Gateway.start(config(stub.getAddress().getPort(), shadow.getAddress().getPort(),
                    dead, resetting.getLocalPort(), silent.getLocalPort()), (m, t, s) -> {
                        throw new UnsupportedOperationException();
                    });
            try {
                run(gateway.port(), requests, rate, rounds, warmup);
            } finally {
                gateway.close();
            }
        } finally {
            stub.stop(0);
            shadow.stop(0);
        }
    }

    private static void run(int port, int requests, double rate, int rounds, int warmup) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newVirtualThreadPerTaskExecutor()).build();
        // Warm-up: JIT, connection pools (client side and the gateway's upstream pools); not recorded.
        for (String m : List.of("direct", "shadow")) {
            measure(http, port, m, warmup, rate, new ArrayList<>());
        }
        Map<String, List<Long>> all = new LinkedHashMap<>();
        Map<String, Long> first = new LinkedHashMap<>();
        Map<String, List<String>> failed = new LinkedHashMap<>();
        for (String m : MODELS) {
            all.put(m, new ArrayList<>());
            failed.put(m, new ArrayList<>());
        }
        for (int r = 0; r < rounds; r++) {
            for (String m : MODELS) {
                List<Long> l = measure(http, port, m, requests / rounds, rate, failed.get(m));
                if (r == 0) {
                    first.put(m, l.getFirst());
                }
                all.get(m).addAll(l);
            }
        }
        long[] base = sorted(all.get("direct"));
        System.out.println("| model | requests | p50 ms | p99 ms | p99.9 ms | max ms | extra p99 vs direct ms | first request ms | >= 1 s | failed |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (String m : MODELS) {
            long[] s = sorted(all.get(m));
            long slow = Arrays.stream(s).filter(n -> n >= 1_000_000_000L).count();
            System.out.printf(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.2f | %.1f | %+.2f | %.1f | %d | %d |%n", m,
                    s.length, ms(pct(s, 0.5)), ms(pct(s, 0.99)), ms(pct(s, 0.999)), ms(s[s.length - 1]),
                    ms(pct(s, 0.99) - pct(base, 0.99)), ms(first.get(m)), slow, failed.get(m).size());
        }
        for (String m : MODELS) {
            if (!failed.get(m).isEmpty()) {
                System.out.println(m + ": " + failed.get(m).size() + " failed, e.g. " + failed.get(m).getFirst());
            }
        }
    }

    /**
     * {@code n} requests to {@code model} at {@code rate} a second; latencies from each one's due time, in order
     * (a failed request's too: it is part of what clients see), and each failure added to {@code failures}.
     */
    private static List<Long> measure(HttpClient http, int port, String model, int n, double rate,
                                      List<String> failures) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"max_tokens\":8,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build();
        long[] out = new long[n];
        List<Thread> sent = new ArrayList<>(n);
        List<String> failedNow = new java.util.concurrent.CopyOnWriteArrayList<>();
        long start = System.nanoTime();
        long interval = (long) (1e9 / rate);
        for (int i = 0; i < n; i++) {
            long due = start + i * interval;
            for (long left = due - System.nanoTime(); left > 0; left = due - System.nanoTime()) {
                java.util.concurrent.locks.LockSupport.parkNanos(left);
            }
            int k = i;
            sent.add(Thread.ofVirtual().start(() -> {
                try {
                    HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 200) {
                        failedNow.add(r.statusCode() + " " + r.body());
                    }
                } catch (IOException | InterruptedException e) {
                    failedNow.add(e.toString());
                }
                out[k] = System.nanoTime() - due;
            }));
        }
        for (Thread t : sent) {
            t.join();
        }
        failures.addAll(failedNow);
        List<Long> l = new ArrayList<>(n);
        for (long v : out) {
            l.add(v);
        }
        return l;
    }

    private static FairlaneConfig config(int stub, int shadow, int dead, int reset, int silent) throws IOException {
        String yaml = """
                server: {host: 127.0.0.1, port: 0, event_loops: 2}
                tenants: [{id: bench, api_keys: ["%1$s"]}]
                models:
                  - id: direct
                    upstream: {url: "http://127.0.0.1:%2$d/v1", max_concurrency: 256}
                  - id: dead-primary
                    upstream:
                      groups:
                        - {name: primary, targets: [{name: dead, url: "http://127.0.0.1:%4$d/v1", max_concurrency: 256}]}
                        - {name: fallback, targets: [{name: fb-dead, url: "http://127.0.0.1:%2$d/v1", max_concurrency: 256}]}
                  - id: reset-primary
                    upstream:
                      groups:
                        - {name: primary, targets: [{name: resetting, url: "http://127.0.0.1:%5$d/v1", max_concurrency: 256}]}
                        - {name: fallback, targets: [{name: fb-reset, url: "http://127.0.0.1:%2$d/v1", max_concurrency: 256}]}
                  - id: silent-primary
                    upstream:
                      timeouts: {first_byte: 1s}
                      groups:
                        - {name: primary, targets: [{name: silent, url: "http://127.0.0.1:%6$d/v1", max_concurrency: 256}]}
                        - {name: fallback, targets: [{name: fb-silent, url: "http://127.0.0.1:%2$d/v1", max_concurrency: 256}]}
                  - id: shadow
                    upstream:
                      targets: [{name: primary, url: "http://127.0.0.1:%2$d/v1", max_concurrency: 256}]
                      shadow: {name: mirror, url: "http://127.0.0.1:%3$d/v1", sample_rate: 1.0, max_concurrency: 256}
                """.formatted(ApiKeyHash.of(KEY), stub, shadow, dead, reset, silent);
        return new ConfigLoader(Map.of("HOME", Files.createTempDirectory("routing-bench").toString()))
                .parse(yaml, "routing bench");
    }

    private static HttpServer stub() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/chat/completions", RoutingLatencyBench::answer);
        server.start();
        return server;
    }

    private static void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, ANSWER.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(ANSWER);
            }
        }
    }

    /** Accepts and never answers. */
    private static void hold(ServerSocket server) {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread.ofVirtual().start(() -> {
                    try (s) {
                        while (s.getInputStream().read() >= 0) {
                            // until the gateway closes
                        }
                    } catch (IOException e) {
                        // closed
                    }
                });
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Reads a little of each request, then resets the connection. */
    private static void reset(ServerSocket server) {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread.ofVirtual().start(() -> {
                    try (s) {
                        s.getInputStream().read(new byte[64]);
                        s.setSoLinger(true, 0);
                    } catch (IOException e) {
                        // closed
                    }
                });
            } catch (IOException e) {
                return;
            }
        }
    }

    private static long[] sorted(List<Long> l) {
        return l.stream().mapToLong(Long::longValue).sorted().toArray();
    }

    private static long pct(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
