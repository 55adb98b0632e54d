package io.fairlane.gateway.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigException;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.testing.FakeEngine;
import io.fairlane.gateway.testing.LeakRecorder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Capture through a running gateway: per-tenant opt-in, redaction, streams, and the config rule. */
class TrafficCaptureTest {

    private static final String RECORDED_KEY = "sk-capture-recorded";
    private static final String PRIVATE_KEY = "sk-capture-private";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private final FakeEngine engine = new FakeEngine();
    private Gateway gateway;
    private Path file;

    private String config(String captureSection) {
        return """
                server: {host: 127.0.0.1, port: 0, event_loops: 1, cache_dir: %s}
                tenants:
                  - id: recorded
                    api_keys: ["%s"]
                    capture: true
                  - id: private
                    api_keys: ["%s"]
                models:
                  - id: local-tiny
                    local: {synthetic: {shape: tiny}}
                %s
                """.formatted(dir, ApiKeyHash.of(RECORDED_KEY), ApiKeyHash.of(PRIVATE_KEY), captureSection);
    }

    @BeforeEach
    void start() throws Exception {
        file = dir.resolve("capture.jsonl");
        gateway = Gateway.start(new ConfigLoader(Map.of("HOME", dir.toString()))
                .parse(config("capture: {file: " + file + "}"), "test"), (m, t, s) -> engine);
    }

    @AfterEach
    void stop() {
        gateway.close();
        engine.close();
    }

    @AfterAll
    static void noLeaks() {
        assertThat(LeakRecorder.check()).isEmpty();
    }

    private void chat(String key, String extra) throws Exception {
        HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"local-tiny\",\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"hi\"}]" + extra + "}")).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The records once {@code expected} are written. An exchange is handed to the recorder just after its last
     * byte went out, so the client can be faster than the hand-over: wait for it.
     */
    private List<JsonNode> records(int expected) throws Exception {
        CaptureRecorder recorder = gateway.captureRecorder().orElseThrow();
        for (int i = 0; i < 500 && recorder.written() < expected; i++) {
            Thread.sleep(10);
        }
        recorder.flush();
        List<JsonNode> out = new ArrayList<>();
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file)) {
                out.add(Json.MAPPER.readTree(line));
            }
        }
        return out;
    }

    @Test
    void optedInTenant_completionIsRecordedWithRequestAndResponse() throws Exception {
        chat(RECORDED_KEY, "");

        JsonNode r = records(1).getFirst();
        assertThat(List.of(r.at("/tenant").asText(), r.at("/request/body/model").asText(),
                r.at("/response/status").asInt(), r.at("/response/body/object").asText()))
                .containsExactly("recorded", "local-tiny", 200, "chat.completion");
    }

    @Test
    void optedInTenant_streamIsRecordedAsItsEvents() throws Exception {
        chat(RECORDED_KEY, ",\"stream\":true");

        JsonNode events = records(1).getFirst().at("/response/events");
        assertThat(events.get(events.size() - 1).get("data").asText()).isEqualTo("[DONE]");
    }

    @Test
    void tenantWithoutOptIn_isNotRecorded() throws Exception {
        chat(PRIVATE_KEY, "");
        chat(RECORDED_KEY, "");

        assertThat(records(1)).extracting(r -> r.get("tenant").asText()).containsExactly("recorded");
    }

    @Test
    void record_neverHoldsTheClientsKey() throws Exception {
        chat(RECORDED_KEY, "");
        records(1);

        assertThat(Files.readString(file)).doesNotContain(RECORDED_KEY).contains("\"authorization\":\"[redacted]\"");
    }

    @Test
    void config_tenantOptsInWithoutACaptureFile_isRefused() {
        assertThatThrownBy(() -> new ConfigLoader(Map.of("HOME", dir.toString())).parse(config(""), "test"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("capture.file");
    }
}
