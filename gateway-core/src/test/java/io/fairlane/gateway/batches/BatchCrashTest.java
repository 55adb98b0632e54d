package io.fairlane.gateway.batches;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.testing.Multipart;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} in the middle of a batch: a real gateway process runs a batch against a stub upstream in this JVM,
 * is killed with SIGKILL at a random point (by lines answered), restarted on the same storage directory, and so on;
 * at the end the batch must be completed with every {@code custom_id} in the output exactly once and the counts
 * agreeing. Lines in flight at a kill run again (the stub sees them twice); none is lost or written twice.
 *
 * <p>Two kills by default, to keep the suite short; {@code -Dfairlane.batch.crash.kills=5} and
 * {@code -Dfairlane.batch.crash.lines=3000} make it the durability benchmark ({@code bench/batches/run.sh durability}).
 */
class BatchCrashTest {

    private static final String KEY = "sk-crash-test";
    private static final Pattern BANNER = Pattern.compile("serving at http://[^:]+:(\\d+)/v1");
    private static final int KILLS = Integer.getInteger("fairlane.batch.crash.kills", 2);
    private static final int LINES = Integer.getInteger("fairlane.batch.crash.lines", 600);

    @TempDir
    Path scratch;

    private final Map<String, AtomicInteger> seenUpstream = new ConcurrentHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void kill9MidBatch_restartFinishesWithEveryCustomIdAnsweredOnce() throws Exception {
        HttpServer stub = stub();
        Path config = scratch.resolve("fairlane.yaml");
        Files.writeString(config, """
                server: {host: 127.0.0.1, port: 0, shutdown_deadline: 1s}
                tenants:
                  - {id: t, api_keys: ["%s"], service_tiers: [default, flex]}
                models:
                  - id: stub
                    upstream: {url: "http://127.0.0.1:%d/v1", max_concurrency: 64}
                storage: {directory: "%s"}
                batches: {max_in_flight_per_batch: 8, lease: 2s}
                """.formatted(ApiKeyHash.of(KEY), stub.getAddress().getPort(), scratch.resolve("state")));
        Gateway gateway = Gateway.start(config, scratch.resolve("gateway-0.log"));
        String batchId;
        List<String> killedAt = new ArrayList<>();
        try {
            batchId = createBatch(gateway.port);
            for (int kill = 1; kill <= KILLS; kill++) {
                long total = LINES;
                long target = (long) (total * (0.1 + 0.7 * ThreadLocalRandom.current().nextDouble()) * kill / KILLS);
                long answered = awaitAnswered(gateway.port, batchId, Math.max(1, target));
                gateway.kill();
                killedAt.add(answered + " answered (aimed at " + target + ")");
                gateway = Gateway.start(config, scratch.resolve("gateway-" + kill + ".log"));
            }
            JsonNode done = awaitCompleted(gateway.port, batchId);
            System.out.printf("batch crash test: %d lines, killed at %s; %d requests reached the upstream%n", LINES,
                    killedAt, seenUpstream.values().stream().mapToInt(AtomicInteger::get).sum());
            assertThat(done.get("request_counts").get("total").asInt()).isEqualTo(LINES);
            assertThat(done.get("request_counts").get("completed").asInt()).isEqualTo(LINES);
            assertThat(done.get("request_counts").get("failed").asInt()).isZero();
            Map<String, Long> ids = output(gateway.port, done.get("output_file_id").asText());
            assertThat(ids).as("every custom_id once, killed at %s", killedAt).hasSize(LINES)
                    .allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
            assertThat(seenUpstream).as("every line reached the upstream").hasSize(LINES);
        } finally {
            gateway.kill();
            stub.stop(0);
        }
    }

    private HttpServer stub() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        server.setExecutor(Executors.newFixedThreadPool(32));
        server.createContext("/v1/chat/completions", exchange -> {
            JsonNode body = Json.MAPPER.readTree(exchange.getRequestBody().readAllBytes());
            seenUpstream.computeIfAbsent(body.get("user").asText(), k -> new AtomicInteger()).incrementAndGet();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] answer = ("{\"id\":\"chatcmpl-x\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"stub\","
                    + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},"
                    + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":1,"
                    + "\"total_tokens\":5}}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
        return server;
    }

    private String createBatch(int port) throws Exception {
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < LINES; i++) {
            jsonl.append("{\"custom_id\":\"id-").append(i).append("\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                    + "\"body\":{\"model\":\"stub\",\"user\":\"id-").append(i).append("\",\"messages\":[{\"role\":"
                    + "\"user\",\"content\":\"hello\"}]}}\n");
        }
        byte[] body = new Multipart().field("purpose", "batch")
                .file("file", "crash.jsonl", jsonl.toString().getBytes(StandardCharsets.UTF_8)).build();
        HttpResponse<String> file = http.send(HttpRequest.newBuilder(uri(port, "/v1/files"))
                .header("Authorization", "Bearer " + KEY)
                .header("Content-Type", "multipart/form-data; boundary=" + Multipart.BOUNDARY)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(file.statusCode()).as(file.body()).isEqualTo(200);
        HttpResponse<String> batch = http.send(HttpRequest.newBuilder(uri(port, "/v1/batches"))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"input_file_id\":\""
                        + Json.MAPPER.readTree(file.body()).get("id").asText()
                        + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(batch.statusCode()).as(batch.body()).isEqualTo(200);
        return Json.MAPPER.readTree(batch.body()).get("id").asText();
    }

    private JsonNode batch(int port, String id) throws Exception {
        return Json.MAPPER.readTree(http.send(HttpRequest.newBuilder(uri(port, "/v1/batches/" + id))
                .header("Authorization", "Bearer " + KEY).build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    /** Waits until at least {@code target} lines are answered; returns how many were when it looked. */
    private long awaitAnswered(int port, String id, long target) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            JsonNode b = batch(port, id);
            long answered = b.get("request_counts").get("completed").asLong() + b.get("request_counts").get("failed")
                    .asLong();
            if (answered >= target || !b.get("status").asText().matches("validating|in_progress")) {
                return answered;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the batch never reached " + target + " answered lines");
    }

    private JsonNode awaitCompleted(int port, String id) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        JsonNode b;
        do {
            Thread.sleep(50);
            b = batch(port, id);
        } while (!b.get("status").asText().equals("completed") && System.nanoTime() < deadline);
        assertThat(b.get("status").asText()).as(b.toString()).isEqualTo("completed");
        return b;
    }

    private Map<String, Long> output(int port, String fileId) throws Exception {
        String content = http.send(HttpRequest.newBuilder(uri(port, "/v1/files/" + fileId + "/content"))
                .header("Authorization", "Bearer " + KEY).build(), HttpResponse.BodyHandlers.ofString()).body();
        return content.lines().map(l -> {
            try {
                return Json.MAPPER.readTree(l).get("custom_id").asText();
            } catch (IOException e) {
                throw new AssertionError("an output line is not JSON: " + l, e);
            }
        }).collect(Collectors.groupingBy(s -> s, Collectors.counting()));
    }

    private static URI uri(int port, String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** A gateway in its own JVM, started from this test's classpath. */
    private static final class Gateway {
        final Process process;
        final int port;
        final Deque<String> tail = new ArrayDeque<>();

        private Gateway(Process process, int port) {
            this.process = process;
            this.port = port;
        }

        static Gateway start(Path config, Path log) throws Exception {
            List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx512m",
                    "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", System.getProperty("java.class.path"),
                    "io.fairlane.gateway.Main", "serve", "--config", config.toString());
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                if (!p.isAlive()) {
                    throw new AssertionError("the gateway exited " + p.exitValue() + ":\n" + Files.readString(log));
                }
                try (BufferedReader r = new BufferedReader(new InputStreamReader(Files.newInputStream(log),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        Matcher m = BANNER.matcher(line);
                        if (m.find()) {
                            return new Gateway(p, Integer.parseInt(m.group(1)));
                        }
                    }
                }
                Thread.sleep(50);
            }
            p.destroyForcibly();
            throw new AssertionError("the gateway did not start:\n" + Files.readString(log));
        }

        /** SIGKILL: {@code destroyForcibly} on Unix sends signal 9, which the JVM cannot catch or delay. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
