package io.fairlane.gateway.testing;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.FairlaneConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * One gateway for the integration tests, with its upstreams: a WireMock server (replaying recorded
 * OpenAI streams), a raw scripted upstream (resets and hangs), a port nobody listens on, and a fake
 * local engine. Started once per test JVM by {@link GatewayExtension}; tests keep their stubs apart by
 * the request's {@code user} field.
 */
public final class TestGateway implements AutoCloseable {

    public static final String DEMO_KEY = "sk-test-demo";
    public static final String LIMITED_KEY = "sk-test-limited";
    public static final String SMALL_KEY = "sk-test-small";
    public static final String ADMIN_KEY = "sk-test-admin";

    private final WireMockServer wireMock;
    private final ScriptedUpstream scripted;
    private final FakeEngine engine = new FakeEngine();
    private final Gateway gateway;
    private final Path cacheDir;
    private final Map<String, OpenAIClient> clients = new java.util.concurrent.ConcurrentHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    TestGateway() throws Exception {
        wireMock = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1")
                .containerThreads(16).jettyAcceptors(1));
        wireMock.start();
        scripted = new ScriptedUpstream();
        cacheDir = Files.createTempDirectory("fairlane-test");
        FairlaneConfig config = new ConfigLoader(Map.of("HOME", cacheDir.toString()))
                .parse(yaml(wireMock.port(), scripted.port(), deadPort(), cacheDir), "test config");
        gateway = Gateway.start(config, (model, tenants, stats) -> engine);
        stubs();
    }

    static final String PLAIN = """
            {"id":"chatcmpl-1","object":"chat.completion","created":1727346172,"model":"gpt-4o-2024-08-06",
             "choices":[{"index":0,"message":{"role":"assistant","content":"Hi there","refusal":null},
                         "logprobs":null,"finish_reason":"stop"}],
             "usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}""";

    /**
     * WireMock answers, chosen by the request's {@code user}: each recorded stream by its name (cut into
     * chunks at arbitrary places), {@code plain} (a JSON completion), {@code e400}, {@code e500},
     * {@code e429}, {@code e401}.
     */
    private void stubs() {
        for (String name : Fixtures.captureNames()) {
            stub(name, aResponse().withStatus(200).withHeader("Content-Type", "text/event-stream")
                    .withBody(Fixtures.capture(name)).withChunkedDribbleDelay(7, 35));
        }
        stub("plain", aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(PLAIN));
        stub("e400", aResponse().withStatus(400).withHeader("Content-Type", "application/json").withBody(
                "{\"error\":{\"message\":\"upstream says no\",\"type\":\"invalid_request_error\","
                        + "\"param\":\"temperature\",\"code\":\"invalid_value\"}}"));
        stub("e500", aResponse().withStatus(500).withHeader("Content-Type", "application/json").withBody(
                "{\"error\":{\"message\":\"upstream broke\",\"type\":\"server_error\"}}"));
        stub("e429", aResponse().withStatus(429).withHeader("Content-Type", "application/json")
                .withHeader("retry-after", "7").withBody(
                        "{\"error\":{\"message\":\"slow down\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}"));
        stub("e401", aResponse().withStatus(401).withBody("{\"error\":{\"message\":\"bad key\"}}"));
        wireMock.stubFor(com.github.tomakehurst.wiremock.client.WireMock.post(urlEqualTo("/v1/moderations"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                        .withBody(MODERATION)));
    }

    static final String MODERATION = """
            {"id":"modr-1","model":"omni-moderation-latest","results":[{"flagged":false,
             "categories":{"harassment":false,"harassment/threatening":false,"hate":false,"hate/threatening":false,
              "illicit":false,"illicit/violent":false,"self-harm":false,"self-harm/instructions":false,
              "self-harm/intent":false,"sexual":false,"sexual/minors":false,"violence":false,"violence/graphic":false},
             "category_scores":{"harassment":0.0001,"harassment/threatening":0.0,"hate":0.0,"hate/threatening":0.0,
              "illicit":0.0,"illicit/violent":0.0,"self-harm":0.0,"self-harm/instructions":0.0,"self-harm/intent":0.0,
              "sexual":0.0,"sexual/minors":0.0,"violence":0.0,"violence/graphic":0.0},
             "category_applied_input_types":{"harassment":["text"],"harassment/threatening":["text"],"hate":["text"],
              "hate/threatening":["text"],"illicit":["text"],"illicit/violent":["text"],"self-harm":["text"],
              "self-harm/instructions":["text"],"self-harm/intent":["text"],"sexual":["text"],"sexual/minors":["text"],
              "violence":["text"],"violence/graphic":["text"]}}]}""";

    private void stub(String user, ResponseDefinitionBuilder response) {
        wireMock.stubFor(com.github.tomakehurst.wiremock.client.WireMock.post(urlEqualTo("/v1/chat/completions"))
                .withRequestBody(matchingJsonPath("$.user", equalTo(user))).willReturn(response));
    }

    /** A port nothing listens on. */
    public static int deadPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static String yaml(int wireMockPort, int scriptedPort, int deadPort, Path cacheDir) {
        return """
                server:
                  host: 127.0.0.1
                  port: 0
                  event_loops: 2
                  cache_dir: %4$s
                  limits: {max_body_size: 1MiB, max_header_size: 8KiB, max_uri_length: 2KiB, max_buffered_output: 256KiB}
                  timeouts: {idle: 30s, header_read: 1s, slow_client: 2s}
                  shutdown_deadline: 5s
                tenants:
                  - id: demo
                    api_keys: ["%5$s"]
                    service_tiers: [default, priority, flex]
                    slos:
                      - {name: ttft, metric: ttft, threshold: 250ms, objective: 0.99}
                  - id: limited
                    api_keys: ["%6$s"]
                    service_tiers: [default]
                    rate_limits: {requests_per_minute: 2, tokens_per_minute: 1000000}
                  - id: small
                    api_keys: ["%7$s"]
                    rate_limits: {tokens_per_minute: 500}
                models:
                  - id: gpt-stub
                    upstream:
                      url: http://127.0.0.1:%1$d/v1
                      model: gpt-4o-2024-08-06
                      max_concurrency: 8
                      timeouts: {connect: 1s, first_byte: 3s, read: 3s}
                  - id: gpt-throttled         # own targets: a 429's retry-after throttles the target that sent it
                    upstream: {url: "http://127.0.0.1:%1$d/v1", model: gpt-4o-2024-08-06}
                  - id: gpt-throttled-slo
                    upstream: {url: "http://127.0.0.1:%1$d/v1", model: gpt-4o-2024-08-06}
                  - id: gpt-failover
                    upstream:
                      targets:
                        - {url: "http://127.0.0.1:%3$d/v1"}
                        - {url: "http://127.0.0.1:%1$d/v1", model: gpt-4o-2024-08-06}
                  - id: gpt-down
                    upstream: {url: "http://127.0.0.1:%3$d/v1"}
                  - id: raw
                    upstream:
                      url: http://127.0.0.1:%2$d/v1
                      timeouts: {connect: 1s, first_byte: 1s, read: 1s}
                  - id: local-tiny
                    local: {synthetic: {shape: tiny}, backend: cpu}
                  - id: omni-moderation-latest
                    upstream: {url: "http://127.0.0.1:%1$d/v1"}
                admin_keys: ["%8$s"]
                files: {max_file_size: 2MiB, max_storage_per_tenant: 8MiB, upload_rate_window: 1s}
                batches: {lease: 2s}
                """.formatted(wireMockPort, scriptedPort, deadPort, cacheDir, ApiKeyHash.of(DEMO_KEY),
                ApiKeyHash.of(LIMITED_KEY), ApiKeyHash.of(SMALL_KEY), ApiKeyHash.of(ADMIN_KEY));
    }

    public int port() {
        return gateway.port();
    }

    public URI baseUri() {
        return URI.create("http://127.0.0.1:" + port() + "/v1");
    }

    public WireMockServer wireMock() {
        return wireMock;
    }

    public ScriptedUpstream scripted() {
        return scripted;
    }

    public FakeEngine engine() {
        return engine;
    }

    public Gateway gateway() {
        return gateway;
    }

    /** OpenAI's Java SDK in strict mode, without retries. */
    public OpenAIClient client() {
        return client(DEMO_KEY);
    }

    public OpenAIClient client(String key) {
        return clients.computeIfAbsent(key, k -> OpenAIOkHttpClient.builder().baseUrl(baseUri().toString()).apiKey(key).responseValidation(true)
                .maxRetries(0).timeout(Duration.ofSeconds(20)).build());
    }

    /** A POST with the demo key. */
    public HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + path))
                .header("Authorization", "Bearer " + DEMO_KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    /**
     * A small chat completion through the upstream lane (WireMock's {@code plain} answer): the "next
     * request" that tests of bad input send to show the gateway kept serving.
     */
    public HttpResponse<String> plainChat() throws IOException, InterruptedException {
        return post("/v1/chat/completions",
                "{\"model\":\"gpt-stub\",\"user\":\"plain\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + path))
                .header("Authorization", "Bearer " + DEMO_KEY).GET().build());
    }

    /** The plain HTTP client the helpers use, for other body handlers. */
    public HttpClient http() {
        return http;
    }

    public HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws Exception {
        clients.values().forEach(OpenAIClient::close);
        gateway.close();
        engine.close();
        wireMock.stop();
        scripted.close();
    }
}
