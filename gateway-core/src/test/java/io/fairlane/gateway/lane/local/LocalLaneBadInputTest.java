package io.fairlane.gateway.lane.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.engine.EngineSnapshot;
import io.fairlane.engine.InferenceEngine;
import io.fairlane.gateway.EngineOpener;
import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.testing.RawHttp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad input through the HTTP API against the real engine (synthetic tiny model, context 2048, on the CPU): each
 * request is answered with an OpenAI-style error or cleaned up, the KV pool ends with no block in use, and the
 * engine goes on serving. Also the prefix cache as clients see it: a repeated prompt reports
 * {@code usage.prompt_tokens_details.cached_tokens} from the pool.
 */
class LocalLaneBadInputTest {

    private static final String KEY = "sk-bad-input";
    private static final int CONTEXT = 2048;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final AtomicReference<InferenceEngine> ENGINE = new AtomicReference<>();
    private static Gateway gateway;

    @BeforeAll
    static void start() throws Exception {
        Path cache = Files.createTempDirectory("fairlane-bad-input");
        // 16-token steps: a long prompt takes many steps to prefill, so a client can leave in the middle.
        String config = """
                server: {host: 127.0.0.1, port: 0, event_loops: 1, cache_dir: %s}
                tenants:
                  - id: a
                    api_keys: ["%s"]
                models:
                  - id: local
                    local:
                      synthetic: {shape: tiny}
                      backend: cpu
                      kv: {block_size: 16, cache_size: 8MiB}
                      max_batch_tokens: 16
                      max_running_sequences: 4
                """.formatted(cache, ApiKeyHash.of(KEY));
        ConfigLoader loader = new ConfigLoader(Map.of("HOME", cache.toString()));
        EngineOpener real = EngineOpener.engines();
        gateway = Gateway.start(loader.parse(config, "test"), (model, tenants, stats) -> {
            InferenceEngine engine = real.open(model, tenants, stats);
            ENGINE.set(engine);
            return engine;
        });
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private static HttpResponse<String> completions(String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/v1/completions"))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String tokens(int n, int seed) {
        return Arrays.toString(IntStream.range(0, n).map(i -> 10 + Math.floorMod(seed * 31 + i * 7, 200)).toArray())
                .replace(" ", "");
    }

    private static String error(HttpResponse<String> r) throws Exception {
        JsonNode e = Json.MAPPER.readTree(r.body()).get("error");
        return r.statusCode() + " " + e.get("type").asText() + " " + e.get("param").asText() + " "
                + e.get("code").asText();
    }

    /** The engine once nothing runs or waits: the published snapshot lags a step behind the loop. */
    private static EngineSnapshot settled() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        EngineSnapshot s = ENGINE.get().snapshot();
        while ((s.running() + s.waiting() + s.kvBlocksUsed() > 0) && System.nanoTime() < deadline) {
            Thread.sleep(5);
            s = ENGINE.get().snapshot();
        }
        return s;
    }

    /** The pool is back to full size and a normal request is answered. */
    private static void assertPoolFullAndServing() throws Exception {
        assertThat(settled().kvBlocksUsed()).as("KV blocks in use once settled").isZero();
        assertThat(completions("{\"model\":\"local\",\"prompt\":" + tokens(20, 1) + ",\"max_tokens\":2}")
                .statusCode()).as("the engine keeps serving").isEqualTo(200);
    }

    @Test
    void promptOverContext_contextLengthExceededAndPoolFull() throws Exception {
        HttpResponse<String> r = completions("{\"model\":\"local\",\"prompt\":" + tokens(CONTEXT + 5, 2)
                + ",\"max_tokens\":1}");
        assertThat(error(r)).isEqualTo("400 invalid_request_error prompt context_length_exceeded");
        assertPoolFullAndServing();
    }

    @Test
    void maxTokensBeyondContext_contextLengthExceededAndPoolFull() throws Exception {
        HttpResponse<String> r = completions("{\"model\":\"local\",\"prompt\":" + tokens(100, 3)
                + ",\"max_tokens\":" + CONTEXT + "}");
        assertThat(error(r)).isEqualTo("400 invalid_request_error max_tokens context_length_exceeded");
        assertPoolFullAndServing();
    }

    @Test
    void nAboveTheEnginesSequences_invalidRequestNamingNAndPoolFull() throws Exception {
        HttpResponse<String> r = completions("{\"model\":\"local\",\"prompt\":" + tokens(10, 4)
                + ",\"max_tokens\":2,\"n\":64}");
        assertThat(error(r)).startsWith("400 invalid_request_error n ");
        assertPoolFullAndServing();
    }

    @Test
    void nAboveOpenAisLimit_invalidRequestNamingN() throws Exception {
        HttpResponse<String> r = completions("{\"model\":\"local\",\"prompt\":\"hi\",\"max_tokens\":2,\"n\":1000}");
        assertThat(error(r)).startsWith("400 invalid_request_error n ");
    }

    @Test
    void stopOfUnknownType_invalidRequestNamingStopAndPoolFull() throws Exception {
        HttpResponse<String> r = completions("{\"model\":\"local\",\"prompt\":\"hi\",\"max_tokens\":2,"
                + "\"stop\":{\"text\":\"x\"}}");
        assertThat(error(r)).startsWith("400 invalid_request_error stop ");
        assertPoolFullAndServing();
    }

    @Test
    void clientGoneDuringPrefill_requestAbortedAndPoolFull() throws Exception {
        // 2,000 prompt tokens at 16 per step: the client leaves long before the first token.
        String body = "{\"model\":\"local\",\"prompt\":" + tokens(2000, 5) + ",\"max_tokens\":5,\"stream\":true}";
        byte[] bytes = body.getBytes(StandardCharsets.US_ASCII);
        try (RawHttp raw = new RawHttp(gateway.port())) {
            raw.write("POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n");
            raw.write(bytes);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (ENGINE.get().snapshot().running() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(1); // until the engine has started the prefill
            }
        } // closes the socket mid-prefill
        assertPoolFullAndServing();
    }

    @Test
    void repeatedPrompt_reportsCachedTokensFromThePool() throws Exception {
        String body = "{\"model\":\"local\",\"prompt\":" + tokens(100, 6) + ",\"max_tokens\":1}";
        completions(body);
        JsonNode usage = Json.MAPPER.readTree(completions(body).body()).get("usage");
        // 100 tokens are 6 full blocks and 4 more; the hit stops at whole blocks.
        assertThat(usage.at("/prompt_tokens_details/cached_tokens").asInt()).isEqualTo(96);
    }
}
