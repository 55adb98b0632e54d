package io.fairlane.gateway.shared;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.FairlaneConfig;
import io.fairlane.gateway.idempotency.IdempotentRequests;
import io.fairlane.gateway.testing.FakeEngine;
import io.fairlane.gateway.testing.LogCapture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two gateway replicas on one real Redis, each with its own engine: what a tenant may do is decided once for both.
 */
class SharedReplicasTest {

    private static final String KEY = "sk-shared-test";
    private static final String LIMITED_KEY = "sk-shared-limited";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private RedisServer redis;
    private final List<Gateway> gateways = new ArrayList<>();
    private final List<FakeEngine> engines = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        String prefix = "test" + UUID.randomUUID() + ":";
        for (int i = 0; i < 2; i++) {
            Path cache = Files.createTempDirectory("fairlane-shared");
            String yaml = """
                    server: {host: 127.0.0.1, port: 0, event_loops: 1, cache_dir: %s}
                    storage: {enabled: false}
                    shared_state:
                      redis: %s
                      key_prefix: "%s"
                      timeout: 200ms
                      fallback_share: 0.5
                      retry_interval: 100ms
                    tenants:
                      - {id: demo, api_keys: ["%s"]}
                      - id: limited
                        api_keys: ["%s"]
                        rate_limits: {requests_per_minute: 6}
                    models:
                      - id: local-tiny
                        local: {synthetic: {shape: tiny}, backend: cpu}
                    """.formatted(cache, redis.uri(), prefix, ApiKeyHash.of(KEY), ApiKeyHash.of(LIMITED_KEY));
            FairlaneConfig config = new ConfigLoader(Map.of("HOME", cache.toString())).parse(yaml, "shared test");
            FakeEngine engine = new FakeEngine();
            engines.add(engine);
            gateways.add(Gateway.start(config, (model, tenants, stats) -> engine));
        }
    }

    @AfterEach
    void stop() throws Exception {
        for (Gateway g : gateways) {
            g.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    private HttpResponse<String> chat(int replica, String key, String content, String idempotencyKey)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + gateways.get(replica).port() + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"local-tiny\",\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"" + content + "\"}]}"));
        if (idempotencyKey != null) {
            b.header(IdempotentRequests.HEADER, idempotencyKey);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private List<Integer> statuses(int requests) throws Exception {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            out.add(chat(i % 2, LIMITED_KEY, "hello " + i, null).statusCode());
        }
        return out;
    }

    private String metrics(int replica) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateways.get(replica).port()
                + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void requestsPerMinute_twoReplicasOnOneRedis_admitTheLimitOnceNotTwice() throws Exception {
        List<Integer> statuses = statuses(12);

        assertThat(statuses.stream().filter(s -> s == 200).count()).isEqualTo(6);
        assertThat(statuses.subList(6, 12)).containsOnly(429);
    }

    @Test
    void requestsPerMinute_refusal_isAnOpenAiRateLimitErrorWithRetryAfter() throws Exception {
        statuses(6);

        HttpResponse<String> refused = chat(1, LIMITED_KEY, "one too many", null);

        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.body()).contains("\"code\":\"rate_limit_exceeded\"").contains("shared by all replicas");
        assertThat(refused.headers().firstValue("retry-after")).isPresent();
        assertThat(chat(0, KEY, "an unlimited tenant still gets through", null).statusCode()).isEqualTo(200);
    }

    @Test
    void idempotencyKey_retriedOnTheOtherReplica_replaysWithoutGeneratingAgain() throws Exception {
        String marker = UUID.randomUUID().toString();
        String key = UUID.randomUUID().toString();

        HttpResponse<String> first = chat(0, KEY, marker, key);
        HttpResponse<String> retry = chat(1, KEY, marker, key);

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(retry.headers().firstValue(IdempotentRequests.REPLAYED_HEADER)).hasValue("true");
        assertThat(engines.get(1).submitted().stream().filter(r -> r.prompt().text().contains(marker))).isEmpty();
    }

    @Test
    void idempotencyKey_reusedOnTheOtherReplicaWithAnotherBody_isRefused() throws Exception {
        String key = UUID.randomUUID().toString();
        chat(0, KEY, "first body", key);

        HttpResponse<String> reused = chat(1, KEY, "another body", key);

        assertThat(reused.statusCode()).isEqualTo(400);
        assertThat(reused.body()).contains("idempotency_key_reused");
    }

    private HttpResponse<String> responses(int replica, String method, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateways.get(replica).port() + path))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String responseId(HttpResponse<String> created) {
        assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"id\"\\s*:\\s*\"(resp_[^\"]+)\"")
                .matcher(created.body());
        assertThat(m.find()).as(created.body()).isTrue();
        return m.group(1);
    }

    @Test
    void storedResponse_createdOnOneReplica_isRetrievedContinuedAndDeletedOnTheOther() throws Exception {
        String id = responseId(responses(0, "POST", "/v1/responses",
                "{\"model\":\"local-tiny\",\"input\":\"my name is Ada\"}"));

        HttpResponse<String> retrieved = responses(1, "GET", "/v1/responses/" + id, null);
        HttpResponse<String> continued = responses(1, "POST", "/v1/responses",
                "{\"model\":\"local-tiny\",\"input\":\"what is my name?\",\"previous_response_id\":\"" + id
                        + "\"}");
        HttpResponse<String> deleted = responses(1, "DELETE", "/v1/responses/" + id, null);

        assertThat(retrieved.statusCode()).as(retrieved.body()).isEqualTo(200);
        assertThat(retrieved.body()).contains(id);
        assertThat(continued.statusCode()).as(continued.body()).isEqualTo(200);
        assertThat(engines.get(1).submitted().getLast().prompt().text()).contains("my name is Ada");
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(responses(0, "GET", "/v1/responses/" + id, null).statusCode()).isEqualTo(404);
    }

    @Test
    void redisLost_replicaServesOnItsFallbackShare_andSaysSo() throws Exception {
        try (LogCapture log = new LogCapture(RedisLink.class.getName())) {
            redis.stop();

            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                statuses.add(chat(0, LIMITED_KEY, "alone " + i, null).statusCode());
            }

            // fallback_share 0.5 of 6 requests per minute: 3 on this replica alone, never the whole limit or more.
            assertThat(statuses).containsExactly(200, 200, 200, 429, 429);
            assertThat(metrics(0)).contains("fairlane_shared_state_fallback 1.0")
                    .containsPattern("fairlane_shared_state_local_decisions_total\\{kind=\"rate_limit\"} [1-9]");
            assertThat(log.messages()).anyMatch(m -> m.contains("unreachable"));
        }
    }

    @Test
    void redisBack_replicaSharesAgain() throws Exception {
        redis.stop();
        assertThat(chat(0, KEY, "while Redis is away", UUID.randomUUID().toString()).statusCode()).isEqualTo(200);
        redis.restart();
        Thread.sleep(150);

        assertThat(chat(0, KEY, "Redis is back", UUID.randomUUID().toString()).statusCode()).isEqualTo(200);
        assertThat(metrics(0)).contains("fairlane_shared_state_fallback 0.0");
    }
}
