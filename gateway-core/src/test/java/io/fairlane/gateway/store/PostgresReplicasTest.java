package io.fairlane.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.FairlaneConfig;
import io.fairlane.gateway.testing.FakeEngine;
import io.fairlane.gateway.testing.Multipart;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two gateway replicas on one real PostgreSQL, configured as the postgres overlay configures routers: a file uploaded
 * through one is read through the other, a batch created on one is followed and completed on the other (either runs
 * its lines), and a stored response is retrieved on the other.
 */
@ExtendWith(PostgresServer.class)
class PostgresReplicasTest {

    private static final String KEY = "sk-pg-replicas";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Gateway> gateways = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        StoreSettings.Postgres db = PostgresServer.current().newDatabase();
        for (int i = 0; i < 2; i++) {
            Path cache = Files.createTempDirectory("fairlane-pg-replica");
            String yaml = """
                    server: {host: 127.0.0.1, port: 0, event_loops: 1, cache_dir: %s}
                    storage:
                      postgres: {url: "%s", user: %s, password_env: %s, pool: 4}
                    tenants:
                      - {id: demo, api_keys: ["%s"]}
                    models:
                      - id: local-tiny
                        local: {synthetic: {shape: tiny}, backend: cpu}
                    """.formatted(cache, db.url(), db.user(), db.passwordEnv().orElseThrow(), ApiKeyHash.of(KEY));
            Map<String, String> env = new HashMap<>(PostgresServer.current().environment());
            env.put("HOME", cache.toString());
            FairlaneConfig config = new ConfigLoader(env).parse(yaml, "replica " + i);
            FakeEngine engine = new FakeEngine();
            gateways.add(Gateway.start(config, (model, tenants, stats) -> engine));
        }
    }

    @AfterEach
    void stop() {
        gateways.forEach(Gateway::close);
    }

    private HttpResponse<String> call(int replica, String method, String path, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateways.get(replica).port()
                + path)).header("Authorization", "Bearer " + KEY).timeout(Duration.ofSeconds(30));
        b = json == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String upload(int replica, String purpose, String content) throws Exception {
        byte[] body = new Multipart().field("purpose", purpose)
                .file("file", "input.jsonl", content.getBytes(StandardCharsets.UTF_8)).build();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + gateways.get(replica).port() + "/v1/files")).header("Authorization", "Bearer " + KEY)
                .header("Content-Type", "multipart/form-data; boundary=" + Multipart.BOUNDARY)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body()).get("id").asText();
    }

    private static boolean sleep() throws InterruptedException {
        Thread.sleep(50);
        return true;
    }

    @Test
    void file_uploadedOnOneReplica_isListedAndReadOnTheOther() throws Exception {
        String content = "{\"prompt\":\"shared through PostgreSQL\"}\n";
        String id = upload(0, "user_data", content);

        HttpResponse<String> meta = call(1, "GET", "/v1/files/" + id, null);
        HttpResponse<String> bytes = call(1, "GET", "/v1/files/" + id + "/content", null);

        assertThat(meta.statusCode()).as(meta.body()).isEqualTo(200);
        assertThat(JSON.readTree(meta.body()).get("bytes").asInt()).isEqualTo(content.length());
        assertThat(bytes.body()).isEqualTo(content);
        assertThat(call(1, "GET", "/v1/files", null).body()).contains(id);
    }

    @Test
    void batch_createdOnOneReplica_completesAndIsReadOnTheOther() throws Exception {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            lines.append("{\"custom_id\":\"line-").append(i).append("\",\"method\":\"POST\",\"url\":")
                    .append("\"/v1/chat/completions\",\"body\":{\"model\":\"local-tiny\",\"messages\":[{\"role\":")
                    .append("\"user\",\"content\":\"hi ").append(i).append("\"}],\"max_tokens\":4}}\n");
        }
        String input = upload(0, "batch", lines.toString());
        HttpResponse<String> created = call(0, "POST", "/v1/batches", "{\"input_file_id\":\"" + input
                + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
        String id = JSON.readTree(created.body()).get("id").asText();

        JsonNode batch;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        do {
            Thread.sleep(100);
            batch = JSON.readTree(call(1, "GET", "/v1/batches/" + id, null).body());
        } while (!batch.path("status").asText().equals("completed") && System.nanoTime() < deadline);

        assertThat(batch.path("status").asText()).as(batch.toString()).isEqualTo("completed");
        assertThat(batch.at("/request_counts/completed").asInt()).isEqualTo(6);
        String output = call(1, "GET", "/v1/files/" + batch.get("output_file_id").asText() + "/content", null).body();
        for (int i = 0; i < 6; i++) {
            assertThat(output).containsOnlyOnce("\"custom_id\":\"line-" + i + "\"");
        }
    }

    @Test
    void storedResponse_createdOnOneReplica_isRetrievedOnTheOther() throws Exception {
        HttpResponse<String> created = call(0, "POST", "/v1/responses",
                "{\"model\":\"local-tiny\",\"input\":\"remember this\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
        String id = JSON.readTree(created.body()).get("id").asText();

        // The storing replica writes behind the request: the other sees the row once that write commits.
        HttpResponse<String> retrieved;
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        do {
            retrieved = call(1, "GET", "/v1/responses/" + id, null);
        } while (retrieved.statusCode() == 404 && System.nanoTime() < deadline && sleep());

        assertThat(retrieved.statusCode()).as(retrieved.body()).isEqualTo(200);
        assertThat(JSON.readTree(retrieved.body()).get("id").asText()).isEqualTo(id);
    }
}
