package io.fairlane.gateway.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
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
 * Two routers, each spreading one model over the same two engine replicas, on one real Redis: what a tenant may do
 * is decided once for both routers, and a request retried on the other router is answered from the first one's
 * response without the engines generating it again. Without Redis each router keeps routing on its share of the
 * limits.
 */
class SharedRoutersTest {

    private static final String KEY = "sk-routers-demo";
    private static final String LIMITED_KEY = "sk-routers-limited";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The routers present the engines the value of an environment variable as their key: HOME is always there. */
    private static final String ROUTER_KEY = System.getenv("HOME");

    private RedisServer redis;
    private final List<Gateway> engines = new ArrayList<>();
    private final List<FakeEngine> fakes = new ArrayList<>();
    private final List<Gateway> routers = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        assumeTrue(ROUTER_KEY != null && !ROUTER_KEY.isEmpty(), "needs HOME set: it stands in for the routers' key");
        redis = RedisServer.start();
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Path cache = Files.createTempDirectory("fairlane-engine");
            String yaml = """
                    server: {host: 127.0.0.1, port: 0, event_loops: 1, cache_dir: %s}
                    storage: {enabled: false}
                    tenants:
                      - {id: routers, api_keys: ["%s"]}
                    models:
                      - id: tiny
                        local: {synthetic: {shape: tiny}, backend: cpu}
                    """.formatted(cache, ApiKeyHash.of(ROUTER_KEY));
            FakeEngine fake = new FakeEngine();
            fakes.add(fake);
            engines.add(Gateway.start(new ConfigLoader(Map.of("HOME", cache.toString())).parse(yaml, "engine " + i),
                    (model, tenants, stats) -> fake));
            urls.add("\"http://127.0.0.1:" + engines.getLast().port() + "/v1\"");
        }
        String prefix = "test" + UUID.randomUUID() + ":";
        for (int i = 0; i < 2; i++) {
            Path cache = Files.createTempDirectory("fairlane-router");
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
                      - id: tiny
                        engines:
                          discovery: {static: [%s]}
                          api_key_env: HOME
                          load_interval: 100ms
                          block_size: 16
                          timeouts: {connect: 1s}
                    """.formatted(cache, redis.uri(), prefix, ApiKeyHash.of(KEY), ApiKeyHash.of(LIMITED_KEY),
                    String.join(", ", urls));
            routers.add(Gateway.start(new ConfigLoader(Map.of("HOME", cache.toString())).parse(yaml, "router " + i),
                    (model, tenants, stats) -> {
                        throw new AssertionError("a router opens no engine");
                    }));
        }
    }

    @AfterEach
    void stop() throws Exception {
        for (Gateway g : routers) {
            g.close();
        }
        for (Gateway g : engines) {
            g.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    private HttpResponse<String> chat(int router, String key, String content, String idempotencyKey)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + routers.get(router).port() + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"tiny\",\"max_tokens\":4,\"messages\":["
                        + "{\"role\":\"user\",\"content\":\"" + content + "\"}]}"));
        if (idempotencyKey != null) {
            b.header(IdempotentRequests.HEADER, idempotencyKey);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String metrics(int router) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + routers.get(router).port()
                + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Requests the engines have been given whose prompt mentions {@code marker}, over both replicas. */
    private long generated(String marker) {
        return fakes.stream().flatMap(f -> f.submitted().stream())
                .filter(r -> r.prompt().text().contains(marker)).count();
    }

    @Test
    void requestsPerMinute_twoRoutersOnOneRedis_admitTheLimitOnceNotTwice() throws Exception {
        String marker = UUID.randomUUID().toString();
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            statuses.add(chat(i % 2, LIMITED_KEY, marker + " question " + i, null).statusCode());
        }

        assertThat(statuses.subList(0, 6)).containsOnly(200);
        assertThat(statuses.subList(6, 12)).containsOnly(429);
        assertThat(generated(marker)).isEqualTo(6);
        assertThat(chat(1, KEY, "a tenant without a limit still gets through", null).statusCode()).isEqualTo(200);
    }

    @Test
    void idempotencyKey_sentToOneRouterAndRetriedOnTheOther_replaysWithoutTheEnginesGeneratingAgain()
            throws Exception {
        String marker = UUID.randomUUID().toString();
        String key = UUID.randomUUID().toString();

        HttpResponse<String> first = chat(0, KEY, marker, key);
        HttpResponse<String> retry = chat(1, KEY, marker, key);

        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(retry.statusCode()).isEqualTo(200);
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(retry.headers().firstValue(IdempotentRequests.REPLAYED_HEADER)).hasValue("true");
        assertThat(generated(marker)).isEqualTo(1);
    }

    @Test
    void idempotencyKey_reusedOnTheOtherRouterWithAnotherBody_isRefusedAndNothingRuns() throws Exception {
        String key = UUID.randomUUID().toString();
        String other = UUID.randomUUID().toString();
        assertThat(chat(0, KEY, "first body", key).statusCode()).isEqualTo(200);

        HttpResponse<String> reused = chat(1, KEY, other, key);

        assertThat(reused.statusCode()).isEqualTo(400);
        assertThat(reused.body()).contains("idempotency_key_reused");
        assertThat(generated(other)).isZero();
    }

    @Test
    void redisLost_eachRouterKeepsRoutingOnItsFallbackShare_andSaysSo() throws Exception {
        String marker = UUID.randomUUID().toString();
        try (LogCapture log = new LogCapture(RedisLink.class.getName())) {
            redis.stop();

            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                statuses.add(chat(i % 2, LIMITED_KEY, marker + " alone " + i, null).statusCode());
            }

            // fallback_share 0.5 of 6 requests per minute: 3 on each router alone, the whole limit over both.
            assertThat(statuses).containsExactly(200, 200, 200, 200, 200, 200, 429, 429);
            assertThat(generated(marker)).isEqualTo(6);
            assertThat(chat(0, KEY, "an unlimited tenant is still served", null).statusCode()).isEqualTo(200);
            for (int r = 0; r < 2; r++) {
                assertThat(metrics(r)).contains("fairlane_shared_state_fallback 1.0");
            }
            assertThat(log.messages()).anyMatch(m -> m.contains("unreachable"));
        }
    }
}
