package io.fairlane.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.engine.EmbeddingRequest;
import io.fairlane.engine.EmbeddingResult;
import io.fairlane.engine.EngineSnapshot;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.GenerationStream;
import io.fairlane.engine.InferenceEngine;
import io.fairlane.engine.ModelInfo;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.TokenSink;
import io.fairlane.gateway.EngineOpener;
import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.FairlaneConfig;
import io.fairlane.gateway.http.Json;
import io.fairlane.scheduler.RateLimitStatus;
import io.fairlane.scheduler.SchedulerSnapshot;
import io.fairlane.scheduler.TenantSpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A router with the model's tokenizer in front of a real engine replica (the CPU engine, the synthetic tiny model):
 * the router renders and tokenises once, the engine takes the router's ids instead of tokenising again, and the
 * answer is the one the engine gives a request it tokenises itself. The engine is wrapped to count which prompt
 * path each request took.
 */
class RouterTokenisationTest {

    private static final String SECRET = "a-router-and-engine-shared-key-of-more-than-32-bytes";
    private static final String ALPHA = "sk-tok-alpha";
    private static final String ROUTER_KEY = System.getenv("HOME");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String SYSTEM = "You are a careful assistant. You answer questions about the history of"
            + " bridges, their engineering, their materials and the people who built them, briefly and exactly.";

    private static Counting engine;
    private static Gateway replica;
    private static Gateway router;

    /** Counts the engine's prompt path: tokenised here, or with a router's ids. */
    static final class Counting implements InferenceEngine {
        final InferenceEngine delegate;
        final AtomicInteger tokenised = new AtomicInteger();
        final List<int[]> trusted = new CopyOnWriteArrayList<>();
        final List<Prompt> trustedPrompts = new CopyOnWriteArrayList<>();

        Counting(InferenceEngine delegate) {
            this.delegate = delegate;
        }

        @Override
        public ModelInfo model() {
            return delegate.model();
        }

        @Override
        public PreparedPrompt prepare(Prompt prompt) {
            tokenised.incrementAndGet();
            return delegate.prepare(prompt);
        }

        @Override
        public PreparedPrompt prepare(Prompt prompt, int[] tokenIds) {
            trusted.add(tokenIds.clone());
            trustedPrompts.add(prompt);
            return delegate.prepare(prompt, tokenIds);
        }

        @Override
        public String promptFingerprint() {
            return delegate.promptFingerprint();
        }

        @Override
        public GenerationStream submit(GenerationRequest request, TokenSink sink) {
            return delegate.submit(request, sink);
        }

        @Override
        public void abort(String requestId) {
            delegate.abort(requestId);
        }

        @Override
        public CompletableFuture<EmbeddingResult> embed(EmbeddingRequest request) {
            return delegate.embed(request);
        }

        @Override
        public EngineSnapshot snapshot() {
            return delegate.snapshot();
        }

        @Override
        public Optional<SchedulerSnapshot> schedulerSnapshot() {
            return delegate.schedulerSnapshot();
        }

        @Override
        public RateLimitStatus rateLimitStatus(String tenant) {
            return delegate.rateLimitStatus(tenant);
        }

        @Override
        public void updateTenants(List<TenantSpec> tenants) {
            delegate.updateTenants(tenants);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(ROUTER_KEY != null && !ROUTER_KEY.isEmpty(), "needs HOME set: it stands in for the router's key");
        Path cache = Files.createTempDirectory("fairlane-tok-engine");
        String yaml = """
                server: {host: 127.0.0.1, port: 0, event_loops: 1, cache_dir: %s, internal_key_env: KEY}
                storage: {enabled: false}
                tenants:
                  - {id: routers, api_keys: ["%s"]}
                  - {id: alpha, api_keys: ["%s"]}
                models:
                  - id: tiny
                    local: {synthetic: {shape: tiny}, backend: cpu, cpu_threads: 1}
                """.formatted(cache, ApiKeyHash.of(ROUTER_KEY), ApiKeyHash.of(ALPHA));
        FairlaneConfig config = new ConfigLoader(Map.of("HOME", cache.toString(), "KEY", SECRET))
                .parse(yaml, "engine");
        replica = Gateway.start(config, (model, tenants, stats) -> {
            engine = new Counting(EngineOpener.engines().open(model, tenants, stats));
            return engine;
        });
        Path routerCache = Files.createTempDirectory("fairlane-tok-router");
        ConfigLoader routerLoader = new ConfigLoader(Map.of("HOME", routerCache.toString(), "KEY", SECRET));
        router = Gateway.start(routerLoader.parse("""
                server: {host: 127.0.0.1, port: 0, event_loops: 1, cache_dir: %s}
                storage: {enabled: false}
                tenants:
                  - {id: alpha, api_keys: ["%s"]}
                models:
                  - id: tiny
                    engines:
                      discovery: {static: ["http://127.0.0.1:%d/v1"]}
                      internal_key_env: KEY
                      api_key_env: HOME
                      tokenizer: {synthetic: {shape: tiny}}
                      timeouts: {connect: 1s}
                """.formatted(routerCache, ApiKeyHash.of(ALPHA), replica.port()), "router"), (m, t, s) -> {
                    throw new AssertionError("a router opens no engine");
                });
    }

    @AfterAll
    static void stop() throws Exception {
        if (router != null) {
            router.close();
        }
        if (replica != null) {
            replica.close();
        }
    }

    @BeforeEach
    void reset() {
        engine.tokenised.set(0);
        engine.trusted.clear();
        engine.trustedPrompts.clear();
    }

    private static HttpResponse<String> post(int port, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1" + path))
                .header("Authorization", "Bearer " + ALPHA).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String chatBody(String user) {
        return "{\"model\":\"tiny\",\"max_tokens\":6,\"temperature\":0,\"messages\":[{\"role\":\"system\","
                + "\"content\":\"" + SYSTEM + "\"},{\"role\":\"user\",\"content\":\"" + user + "\"}]}";
    }

    private static JsonNode ok(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.MAPPER.readTree(r.body());
    }

    @Test
    void chat_theEngineTakesTheRoutersIds_andAnswersAsWhenItTokenisesItself() throws Exception {
        JsonNode routed = ok(post(router.port(), "/chat/completions", chatBody("Who built the first iron bridge?")));

        assertThat(engine.tokenised).hasValue(0);
        assertThat(engine.trusted).hasSize(1);
        // The router's ids are the engine's own for the same prompt, so the ring key is the KV cache's block hash.
        int[] own = engine.delegate.prepare(engine.trustedPrompts.getFirst()).tokenIds();
        assertThat(engine.trusted.getFirst()).isEqualTo(own);
        int blockSize = Json.MAPPER.readTree(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + replica.port() + "/internal/load")).build(), HttpResponse.BodyHandlers.ofString()).body())
                .path("models").path(0).path("block_size").asInt();
        assertThat(blockSize).isPositive();
        assertThat(PrefixKeys.key(engine.trusted.getFirst(), blockSize, "tenant:alpha", 4))
                .isNotNull().isEqualTo(PrefixKeys.key(own, blockSize, "tenant:alpha", 4));

        JsonNode direct = ok(post(replica.port(), "/chat/completions", chatBody("Who built the first iron bridge?")));

        assertThat(engine.tokenised).hasValue(1);
        assertThat(routed.path("choices").path(0).path("message").path("content").asText())
                .isEqualTo(direct.path("choices").path(0).path("message").path("content").asText());
        assertThat(routed.path("usage").path("prompt_tokens").asInt()).isEqualTo(own.length)
                .isEqualTo(direct.path("usage").path("prompt_tokens").asInt());
    }

    @Test
    void completion_withOneTextPrompt_theEngineTakesTheRoutersIds_andEchoesTheText() throws Exception {
        String body = "{\"model\":\"tiny\",\"max_tokens\":4,\"temperature\":0,\"echo\":true,\"prompt\":\"The oldest"
                + " stone bridge still standing\"}";

        JsonNode routed = ok(post(router.port(), "/completions", body));

        assertThat(engine.tokenised).hasValue(0);
        assertThat(engine.trusted).hasSize(1);
        JsonNode direct = ok(post(replica.port(), "/completions", body));
        assertThat(routed.path("choices").path(0).path("text").asText())
                .startsWith("The oldest stone bridge still standing")
                .isEqualTo(direct.path("choices").path(0).path("text").asText());
    }

    @Test
    void completion_withSeveralPrompts_isTokenisedAtTheEngine() throws Exception {
        JsonNode routed = ok(post(router.port(), "/completions",
                "{\"model\":\"tiny\",\"max_tokens\":2,\"prompt\":[\"one bridge\",\"two bridges\"]}"));

        assertThat(routed.path("choices")).hasSize(2);
        assertThat(engine.trusted).isEmpty();
        assertThat(engine.tokenised).hasValue(2);
    }

    @Test
    void messagesTheTemplateRefuses_are400AtTheRouter_withoutReachingTheReplica() throws Exception {
        String body = "{\"model\":\"tiny\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
                + "{\"role\":\"system\",\"content\":\"late system message\"}]}";

        HttpResponse<String> atRouter = post(router.port(), "/chat/completions", body);
        HttpResponse<String> atEngine = post(replica.port(), "/chat/completions", body);

        assertThat(atRouter.statusCode()).isEqualTo(400);
        assertThat(atRouter.headers().firstValue("x-fairlane-target")).isEmpty();
        assertThat(Json.MAPPER.readTree(atRouter.body()).path("error"))
                .isEqualTo(Json.MAPPER.readTree(atEngine.body()).path("error"));
        assertThat(engine.trusted).isEmpty();
        assertThat(engine.tokenised).hasValue(1); // the direct request only
    }

    @Test
    void signedIdsOutsideTheVocabulary_areA400_forgedOnesAreIgnored() throws Exception {
        String body = chatBody("Which bridge is the longest?");
        TrustedTokenIds right = new TrustedTokenIds(SECRET.getBytes());
        TrustedTokenIds wrong = new TrustedTokenIds("another-key-that-is-also-more-than-32-bytes".getBytes());

        HttpResponse<String> outside = signed(body, right.sign("alpha", "tiny", body.getBytes(), new int[] {1 << 30}));
        HttpResponse<String> forged = signed(body, wrong.sign("alpha", "tiny", body.getBytes(), new int[] {5, 6}));

        assertThat(outside.statusCode()).as(outside.body()).isEqualTo(400);
        assertThat(Json.MAPPER.readTree(outside.body()).path("error").path("param").asText()).isEqualTo("messages");
        assertThat(forged.statusCode()).as(forged.body()).isEqualTo(200);
        assertThat(engine.trusted).hasSize(1); // only the verified one
        assertThat(engine.tokenised).hasValue(1); // the forged one, tokenised here as if unsigned
        assertThat(ok(forged).path("usage").path("prompt_tokens").asInt()).isGreaterThan(2);
    }

    @Test
    void idsFromAnotherTokenizer_areIgnored_andTheEngineTokenises() throws Exception {
        String body = chatBody("Which bridge is the oldest?");
        int[] ids = engine.delegate.prepare(new Prompt.Chat(List.of(Map.of("role", "user", "content", "x")), List.of(),
                true, Map.of())).tokenIds();
        String[] signature = new TrustedTokenIds(SECRET.getBytes()).sign("alpha", "tiny", body.getBytes(), ids);

        HttpResponse<String> other = signed(body, signature, "0123456789abcdef");
        HttpResponse<String> same = signed(body, signature, engine.promptFingerprint());

        assertThat(engine.promptFingerprint()).hasSize(16);
        assertThat(ok(other).path("usage").path("prompt_tokens").asInt()).isGreaterThan(ids.length);
        assertThat(ok(same).path("usage").path("prompt_tokens").asInt()).isEqualTo(ids.length);
        assertThat(engine.trusted).hasSize(1); // only the one from the same tokenizer
    }

    private static HttpResponse<String> signed(String body, String[] signature) throws Exception {
        return signed(body, signature, null);
    }

    private static HttpResponse<String> signed(String body, String[] signature, String tokenizer) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + replica.port()
                        + "/v1/chat/completions")).header("Authorization", "Bearer " + ROUTER_KEY)
                .header("Content-Type", "application/json").header(SignedTenant.TENANT_HEADER, "alpha")
                .header(TrustedTokenIds.IDS_HEADER, signature[0]).header(TrustedTokenIds.MAC_HEADER, signature[1]);
        if (tokenizer != null) {
            b.header(SignedTenant.TOKENIZER_HEADER, tokenizer);
        }
        return HTTP.send(b.POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
