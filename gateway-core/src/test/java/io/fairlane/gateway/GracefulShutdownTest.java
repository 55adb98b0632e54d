package io.fairlane.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.testing.FakeEngine;
import io.fairlane.gateway.testing.LeakRecorder;
import io.fairlane.gateway.testing.TestGateway;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM semantics: readiness false, no new connections, in-flight streams finish, exit 0. */
class GracefulShutdownTest {

    static String config(Path cache, int deadPort) {
        return """
                server: {host: 127.0.0.1, port: 0, event_loops: 1, cache_dir: %s, shutdown_deadline: 5s}
                tenants:
                  - id: demo
                    api_keys: ["%s"]
                models:
                  - id: local-tiny
                    local: {synthetic: {shape: tiny}}
                  - id: up
                    upstream: {url: "http://127.0.0.1:%d/v1"}
                """.formatted(cache, ApiKeyHash.of(TestGateway.DEMO_KEY), deadPort);
    }

    @AfterAll
    static void noLeaks() {
        assertThat(LeakRecorder.check()).isEmpty();
    }

    @Test
    void shutdown_letsTheInFlightStreamFinishAndRefusesNewConnections(@TempDir Path dir) throws Exception {
        FakeEngine engine = new FakeEngine();
        Gateway g = Gateway.start(new ConfigLoader(Map.of("HOME", dir.toString()))
                .parse(config(dir, TestGateway.deadPort()), "test"), (m, t, s) -> engine);
        int port = g.port();
        HttpClient http = HttpClient.newHttpClient();
        CompletableFuture<HttpResponse<String>> stream = http.sendAsync(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + TestGateway.DEMO_KEY)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"local-tiny\",\"stream\":true,\"max_tokens\":30,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"[slow]\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        while (engine.running() == 0) {
            Thread.sleep(5);
        }
        CompletableFuture<Boolean> clean = CompletableFuture.supplyAsync(() -> {
            try {
                return g.shutdown(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        while (!g.state().isDraining()) {
            Thread.sleep(5);
        }
        assertThat(g.state().isReady()).isFalse();
        Thread.sleep(100);
        assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close())
                .isInstanceOf(ConnectException.class);
        assertThat(stream.get(10, TimeUnit.SECONDS).body()).endsWith("data: [DONE]\n\n");
        assertThat(clean.get(10, TimeUnit.SECONDS)).isTrue();
        engine.close();
    }

    @Test
    void sigterm_drainsAndExitsZero(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("fairlane.yaml");
        Files.writeString(file, config(dir, TestGateway.deadPort()).replace("""
                  - id: local-tiny
                    local: {synthetic: {shape: tiny}}
                """, ""));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                "io.fairlane.gateway.Main", "serve", "--config", file.toString()))
                .redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            Pattern listening = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
            int port = -1;
            String line;
            while (port < 0 && (line = out.readLine()) != null) {
                Matcher m = listening.matcher(line);
                if (m.find()) {
                    port = Integer.parseInt(m.group(1));
                }
            }
            assertThat(port).as("the server announced its port").isPositive();
            HttpResponse<String> ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(200);
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
        } finally {
            p.destroyForcibly();
        }
    }
}
