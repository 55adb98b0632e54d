package io.fairlane.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Editing the configuration file changes keys and models at once; an invalid edit changes nothing. */
class ReloadTest {

    @TempDir
    Path dir;
    private Path file;
    private Gateway gateway;
    private ConfigWatcher watcher;
    private final HttpClient http = HttpClient.newHttpClient();

    private static String config(String key, String extraModel) {
        return """
                server: {host: 127.0.0.1, port: 0, event_loops: 1}
                tenants:
                  - id: t
                    api_keys: ["%s"]
                models:
                  - id: up
                    upstream: {url: "http://127.0.0.1:9/v1"}
                %s
                """.formatted(ApiKeyHash.of(key), extraModel);
    }

    @BeforeEach
    void start() throws Exception {
        file = dir.resolve("fairlane.yaml");
        Files.writeString(file, config("sk-old", ""));
        ConfigLoader loader = new ConfigLoader(Map.of("HOME", dir.toString()));
        gateway = Gateway.start(loader.load(file), (m, t, s) -> {
            throw new UnsupportedOperationException("no engine in this test");
        });
        watcher = ConfigWatcher.start(file, loader, gateway::reload, Duration.ofMillis(50));
    }

    @AfterEach
    void stop() {
        watcher.close();
        gateway.close();
    }

    private int models(String key) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/v1/models"))
                .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < end) {
            Thread.sleep(20);
        }
    }

    private boolean accepts(String key) {
        try {
            return models(key) == 200;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void newKey_worksAfterTheFileChanges() throws Exception {
        Files.writeString(file, config("sk-new", ""));
        await(() -> accepts("sk-new"));
        assertThat(models("sk-new")).isEqualTo(200);
    }

    @Test
    void oldKey_stopsWorkingAfterTheFileChanges() throws Exception {
        Files.writeString(file, config("sk-new", ""));
        await(() -> accepts("sk-new"));
        assertThat(models("sk-old")).isEqualTo(401);
    }

    @Test
    void invalidFile_keepsTheRunningConfiguration() throws Exception {
        Files.writeString(file, config("sk-new", "  - id: broken\n    upstream: {url: \"nonsense\"}\n"));
        Thread.sleep(1000);
        assertThat(models("sk-old")).isEqualTo(200);
    }

    @Test
    void addedUpstreamModel_isServedAfterReload() throws Exception {
        Files.writeString(file, config("sk-old", "  - id: added\n    upstream: {url: \"http://127.0.0.1:9/v1\"}\n"));
        await(() -> gateway.models().contains("added"));
        assertThat(gateway.models()).containsExactly("up", "added");
    }

    @Test
    void reloadWhileServing_keepsTheListenerUp() throws Exception {
        Files.writeString(file, config(TestGateway.DEMO_KEY, ""));
        await(() -> accepts(TestGateway.DEMO_KEY));
        assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/health/ready"))
                .build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }
}
