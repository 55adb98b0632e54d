package io.fairlane.gateway.lane;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.EngineOpener;
import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * How the gateway uses the lanes' tenant schedulers, with the real engine (synthetic tiny model on the CPU)
 * beside an upstream lane whose server is down (requests are admitted and dispatched, then answered 503):
 * the scheduler meters of both lanes in {@code /metrics}, {@code x-ratelimit-*} headers after admission,
 * 429 for rate-limit rejections, and a reload reaching both lanes' schedulers.
 *
 * <p>All traffic runs once, in order, before the tests look at what it produced.
 */
@ExtendWith(GatewayExtension.class)
class LaneSchedulerIntegrationTest {

    private static final String KEY_A = "sk-lane-a";
    private static final String KEY_B = "sk-lane-b";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static Path cacheDir;
    private static Gateway gateway;
    private static HttpResponse<String> localFirst;
    private static HttpResponse<String> localThird;
    private static HttpResponse<String> upstreamFirst;
    private static HttpResponse<String> upstreamThird;
    private static String scrape;
    private static HttpResponse<String> localAfterReload;
    private static HttpResponse<String> newTenantLocal;
    private static HttpResponse<String> newTenantUpstream;

    private static String config(int deadPort, String extraTenant, int requestsPerMinute) {
        return """
                server: {host: 127.0.0.1, port: 0, event_loops: 1, cache_dir: %1$s}
                tenants:
                  - id: a
                    api_keys: ["%2$s"]
                    service_tiers: [default, flex]
                    rate_limits: {requests_per_minute: %5$d}
                %4$s
                models:
                  - id: up
                    upstream: {url: "http://127.0.0.1:%3$d/v1"}
                  - id: local
                    local: {synthetic: {shape: tiny}, backend: cpu}
                """.formatted(cacheDir, ApiKeyHash.of(KEY_A), deadPort, extraTenant, requestsPerMinute);
    }

    private static HttpResponse<String> post(String key, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The synthetic model has no chat template: the local lane gets legacy completions. */
    private static HttpResponse<String> local(String key) throws Exception {
        return post(key, "/v1/completions", "{\"model\":\"local\",\"max_tokens\":2,\"prompt\":\"hi\"}");
    }

    private static HttpResponse<String> upstream(String key) throws Exception {
        return post(key, "/v1/chat/completions", "{\"model\":\"up\",\"max_tokens\":2,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    }

    @BeforeAll
    static void traffic() throws Exception {
        cacheDir = Files.createTempDirectory("fairlane-lane-test");
        int deadPort = TestGateway.deadPort();
        ConfigLoader loader = new ConfigLoader(Map.of("HOME", cacheDir.toString()));
        gateway = Gateway.start(loader.parse(config(deadPort, "", 2), "test"), EngineOpener.engines());
        localFirst = local(KEY_A);
        local(KEY_A);
        localThird = local(KEY_A);
        upstreamFirst = upstream(KEY_A);
        upstream(KEY_A);
        upstreamThird = upstream(KEY_A);
        scrape = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();

        String tenantB = "  - id: b\n    api_keys: [\"" + ApiKeyHash.of(KEY_B) + "\"]\n";
        gateway.reload(loader.parse(config(deadPort, tenantB, 5), "test"));
        localAfterReload = local(KEY_A);
        newTenantLocal = local(KEY_B);
        newTenantUpstream = upstream(KEY_B);
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void localLane_answers200() {
        assertThat(localFirst.statusCode()).isEqualTo(200);
    }

    @Test
    void localLane_successCarriesRateLimitHeadersWithItsOwnReservationTaken() {
        assertThat(localFirst.headers().firstValue("x-ratelimit-remaining-requests")).contains("1");
    }

    @Test
    void localLane_rateLimited_answers429WithRetryHeaders() {
        assertThat(localThird.statusCode()).isEqualTo(429);
        assertThat(localThird.headers().map()).containsKeys("retry-after", "retry-after-ms",
                "x-ratelimit-limit-requests");
    }

    @Test
    void upstreamLane_failedUpstreamStillCarriesRateLimitHeaders() {
        assertThat(upstreamFirst.statusCode()).isEqualTo(503);
        assertThat(upstreamFirst.headers().firstValue("x-ratelimit-remaining-requests")).contains("1");
    }

    @Test
    void upstreamLane_rateLimited_answers429WithRetryHeaders() {
        assertThat(upstreamThird.statusCode()).isEqualTo(429);
        assertThat(upstreamThird.headers().map()).containsKeys("retry-after", "retry-after-ms");
    }

    @Test
    void metrics_haveQueueDepthAndBalanceForBothLanes() {
        assertThat(scrape).contains("fairlane_scheduler_queue_depth{lane=\"local\",tenant=\"a\"}")
                .contains("fairlane_scheduler_queue_depth{lane=\"up\",tenant=\"a\"}")
                .contains("fairlane_scheduler_balance{lane=\"local\",tenant=\"a\"}")
                .contains("fairlane_scheduler_balance{lane=\"up\",tenant=\"a\"}");
    }

    @Test
    void metrics_countRejectionsOfBothLanesByReason() {
        assertThat(scrape)
                .contains("fairlane_scheduler_rejections_total{lane=\"local\",reason=\"requests_per_minute\",tenant=\"a\"} 1.0")
                .contains("fairlane_scheduler_rejections_total{lane=\"up\",reason=\"requests_per_minute\",tenant=\"a\"} 1.0");
    }

    @Test
    void metrics_timeTheQueueWaitOfBothLanes() {
        assertThat(scrape).contains("fairlane_request_queue_time_seconds_count{model=\"local\",tenant=\"a\"} 2")
                .contains("fairlane_request_queue_time_seconds_count{model=\"up\",tenant=\"a\"} 2");
    }

    @Test
    void reload_newRateLimitReachesTheLocalLanesScheduler() {
        assertThat(localAfterReload.headers().firstValue("x-ratelimit-limit-requests")).contains("5");
    }

    @Test
    void reload_newTenantIsAdmittedByTheLocalLane() {
        assertThat(newTenantLocal.statusCode()).isEqualTo(200);
    }

    @Test
    void reload_newTenantIsAdmittedByTheUpstreamLane() {
        // 503: the scheduler admitted and dispatched it, and the (absent) upstream refused the connection.
        assertThat(newTenantUpstream.statusCode()).isEqualTo(503);
    }
}
