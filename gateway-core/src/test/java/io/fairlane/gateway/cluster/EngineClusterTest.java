package io.fairlane.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.FairlaneConfig;
import io.fairlane.gateway.testing.FakeEngine;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A router in front of three engine replicas on loopback, as the two tiers run: a repeated prompt prefix goes to
 * one replica, the engines run each request as the caller's tenant, and a replica that dies has its prefixes
 * re-homed while requests keep succeeding; a hot prefix with more requests in flight than its replica's load bound
 * spills to another replica.
 */
class EngineClusterTest {

    private static final String SECRET = "a-router-and-engine-shared-key-of-more-than-32-bytes";
    private static final int[] IDS = {101, 7, 9000};
    private static final String ALPHA = "sk-cluster-alpha";
    private static final String BETA = "sk-cluster-beta";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The router presents the engines the value of an environment variable as its key: HOME is always there. */
    private static final String ROUTER_KEY = System.getenv("HOME");

    private final List<Gateway> engines = new ArrayList<>();
    private final List<FakeEngine> fakes = new ArrayList<>();
    private Gateway router;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(ROUTER_KEY != null && !ROUTER_KEY.isEmpty(), "needs HOME set: it stands in for the router's key");
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path cache = Files.createTempDirectory("fairlane-engine");
            String yaml = """
                    server: {host: 127.0.0.1, port: 0, event_loops: 1, cache_dir: %s, internal_key_env: KEY}
                    storage: {enabled: false}
                    tenants:
                      - {id: routers, api_keys: ["%s"]}
                      - {id: alpha, api_keys: ["%s"]}
                      - {id: beta, api_keys: ["%s"]}
                    models:
                      - id: tiny
                        local: {synthetic: {shape: tiny}, backend: cpu}
                    """.formatted(cache, ApiKeyHash.of(ROUTER_KEY), ApiKeyHash.of(ALPHA), ApiKeyHash.of(BETA));
            FairlaneConfig config = new ConfigLoader(Map.of("HOME", cache.toString(), "KEY", SECRET))
                    .parse(yaml, "engine " + i);
            FakeEngine fake = new FakeEngine();
            fakes.add(fake);
            Gateway g = Gateway.start(config, (model, tenants, stats) -> fake);
            engines.add(g);
            urls.add("\"http://127.0.0.1:" + g.port() + "/v1\"");
        }
        Path cache = Files.createTempDirectory("fairlane-router");
        String yaml = """
                server: {host: 127.0.0.1, port: 0, event_loops: 1, cache_dir: %s}
                storage: {enabled: false}
                tenants:
                  - {id: alpha, api_keys: ["%s"]}
                  - {id: beta, api_keys: ["%s"]}
                models:
                  - id: tiny
                    engines:
                      discovery: {static: [%s]}
                      internal_key_env: KEY
                      api_key_env: HOME
                      load_interval: 100ms
                      block_size: 16
                      prefix_blocks: 4
                      timeouts: {connect: 1s}
                """.formatted(cache, ApiKeyHash.of(ALPHA), ApiKeyHash.of(BETA), String.join(", ", urls));
        FairlaneConfig config = new ConfigLoader(Map.of("HOME", cache.toString(), "KEY", SECRET))
                .parse(yaml, "router");
        router = Gateway.start(config, (model, tenants, stats) -> {
            throw new AssertionError("a router opens no engine");
        });
    }

    @AfterEach
    void stop() throws Exception {
        if (router != null) {
            router.close();
        }
        for (Gateway g : engines) {
            g.close();
        }
    }

    private static HttpResponse<String> chat(int port, String key, String system, String user) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"tiny\",\"max_tokens\":4,\"messages\":["
                        + "{\"role\":\"system\",\"content\":\"" + system + "\"},"
                        + "{\"role\":\"user\",\"content\":\"" + user + "\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String system(int conversation) {
        return "You are assistant number " + conversation + " and you answer questions about topic " + conversation
                + " with care, precision and brevity, citing what you know.";
    }

    private String target(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.headers().firstValue("x-fairlane-target").orElseThrow();
    }

    private int replicaAt(String target) {
        for (int i = 0; i < engines.size(); i++) {
            if (target.endsWith(":" + engines.get(i).port())) {
                return i;
            }
        }
        throw new AssertionError("no replica at " + target);
    }

    /** Requests the router counted as routed to {@code replica}, whatever the reason. */
    private static double routedTo(String scrape, String replica) {
        double sum = 0;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("fairlane_cluster_routed_total\\{[^}]*replica=\""
                + java.util.regex.Pattern.quote(replica) + "\"[^}]*} (\\S+)").matcher(scrape);
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }

    private String metrics(Gateway g) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void repeatedPrefix_staysOnOneReplica_andTheEngineRunsItAsTheCallersTenant() throws Exception {
        String home = target(chat(router.port(), ALPHA, system(1), "first question"));
        for (int turn = 2; turn <= 6; turn++) {
            assertThat(target(chat(router.port(), ALPHA, system(1), "question " + turn))).isEqualTo(home);
        }

        FakeEngine engine = fakes.get(replicaAt(home));
        assertThat(engine.submitted()).hasSize(6).allMatch(r -> r.tenant().equals("alpha"));
        // A router without the model's tokenizer keys by text and signs no ids: the engine tokenises.
        assertThat(engine.trustedIds()).isEmpty();
        assertThat(metrics(router)).containsPattern("fairlane_cluster_routed_total\\{.*reason=\"affinity\".*} 6\\.0");
    }

    @Test
    void manyPrefixes_spreadOverTheReplicas_eachTenantKeepingItsOwn() throws Exception {
        Set<String> used = new HashSet<>();
        for (int c = 0; c < 24; c++) {
            used.add(target(chat(router.port(), c % 2 == 0 ? ALPHA : BETA, system(c), "hello")));
        }

        assertThat(used).hasSizeGreaterThan(1);
        assertThat(fakes.stream().flatMap(f -> f.submitted().stream()).map(r -> r.tenant()))
                .hasSize(24).containsOnly("alpha", "beta");
    }

    @Test
    void replicaKilled_itsPrefixesReHome_andLaterRequestsSucceed() throws Exception {
        String home = target(chat(router.port(), ALPHA, system(7), "before"));
        java.util.Map<String, Double> routedBefore = new java.util.HashMap<>();
        String scrape = metrics(router);
        for (int i = 0; i < engines.size(); i++) {
            String name = "127.0.0.1:" + engines.get(i).port();
            routedBefore.put(name, routedTo(scrape, name));
        }
        int dead = replicaAt(home);
        engines.get(dead).close();

        List<String> after = new ArrayList<>();
        for (int turn = 0; turn < 8; turn++) {
            after.add(target(chat(router.port(), ALPHA, system(7), "after " + turn)));
        }

        assertThat(after).doesNotContain(home);
        assertThat(new HashSet<>(after)).hasSize(1); // re-homed to one replica, not scattered
        // Counted as failover when a request found its replica gone, or as affinity to the new home once the
        // router's load reads had taken the dead replica off the ring (which comes first is a race): either way,
        // every one of the turns after the loss is counted on the new home.
        assertThat(routedTo(metrics(router), after.getFirst()) - routedBefore.getOrDefault(after.getFirst(), 0.0))
                .isGreaterThanOrEqualTo(after.size());
        assertThat(target(chat(router.port(), BETA, system(8), "another conversation"))).isNotEqualTo(home);
    }

    @Test
    void hotPrefix_moreInFlightThanItsReplicasLoadBound_overflowsToAnotherReplica() throws Exception {
        fakes.forEach(FakeEngine::holdPrepares);
        // Three replicas, nothing in flight: the bound is ceil(1.25 * 1 / 3) = 1 request, so while the first request
        // of the hot prefix is held on its replica, the second is placed on another one.
        CompletableFuture<HttpResponse<String>> first = chatAsync(router.port(), ALPHA, system(11), "[hold] first");
        int home = heldOn(Set.of());
        CompletableFuture<HttpResponse<String>> second = chatAsync(router.port(), ALPHA, system(11), "[hold] second");
        int spill = heldOn(Set.of(home));
        fakes.forEach(FakeEngine::releaseHeld);

        assertThat(replicaAt(target(first.get(30, TimeUnit.SECONDS)))).isEqualTo(home);
        assertThat(replicaAt(target(second.get(30, TimeUnit.SECONDS)))).isEqualTo(spill).isNotEqualTo(home);
        String scrape = metrics(router);
        assertThat(scrape).containsPattern("fairlane_cluster_routed_total\\{.*reason=\"overflow\".*} 1\\.0");
        assertThat(scrape).containsPattern("fairlane_cluster_routed_total\\{.*reason=\"affinity\".*} 1\\.0");
        // Once the hot prefix's requests are over, it is back on its own replica.
        assertThat(replicaAt(target(chat(router.port(), ALPHA, system(11), "after the rush")))).isEqualTo(home);
    }

    private static CompletableFuture<HttpResponse<String>> chatAsync(int port, String key, String system,
                                                                     String user) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return chat(port, key, system, user);
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, Executors.newVirtualThreadPerTaskExecutor());
    }

    /** The replica, other than those in {@code besides}, where a held request has arrived (waits up to 15 s). */
    private int heldOn(Set<Integer> besides) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            for (int i = 0; i < fakes.size(); i++) {
                if (!besides.contains(i) && fakes.get(i).awaitHeld(Duration.ZERO)) {
                    return i;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no held request arrived at a replica other than " + besides);
    }

    @Test
    void engineSide_signatureThatDoesNotVerify_leavesTheRequestTheCallers() throws Exception {
        Gateway engine = engines.getFirst();
        FakeEngine fake = fakes.getFirst();
        String body = "{\"model\":\"tiny\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        TrustedTokenIds right = new TrustedTokenIds(SECRET.getBytes());
        TrustedTokenIds wrong = new TrustedTokenIds("another-key-that-is-also-more-than-32-bytes".getBytes());

        send(engine, body, "alpha", right.sign("alpha", "tiny", body.getBytes(), IDS));
        send(engine, body, "alpha", right.sign("alpha", "tiny", (body + " ").getBytes(), IDS)); // tampered
        send(engine, body, "alpha", wrong.sign("alpha", "tiny", body.getBytes(), IDS));
        send(engine, body, "beta", right.sign("alpha", "tiny", body.getBytes(), IDS)); // tenant swapped
        send(engine, body, "alpha", null); // no signature at all
        send(engine, body, "ghost", right.sign("ghost", "tiny", body.getBytes(), IDS)); // unknown tenant

        assertThat(fake.submitted()).extracting(r -> r.tenant())
                .containsExactly("alpha", "routers", "routers", "routers", "routers", "routers");
        // Only the request whose signature verified reached the engine with the router's ids.
        assertThat(fake.trustedIds()).containsExactly(IDS);
    }

    @Test
    void engineSide_withoutTheKey_ignoresEvenAValidSignature() throws Exception {
        Path cache = Files.createTempDirectory("fairlane-keyless");
        String yaml = """
                server: {host: 127.0.0.1, port: 0, event_loops: 1, cache_dir: %s}
                storage: {enabled: false}
                tenants:
                  - {id: routers, api_keys: ["%s"]}
                  - {id: alpha, api_keys: ["%s"]}
                models:
                  - id: tiny
                    local: {synthetic: {shape: tiny}, backend: cpu}
                """.formatted(cache, ApiKeyHash.of(ROUTER_KEY), ApiKeyHash.of(ALPHA));
        FakeEngine fake = new FakeEngine();
        Gateway keyless = Gateway.start(new ConfigLoader(Map.of("HOME", cache.toString())).parse(yaml, "keyless"),
                (model, tenants, stats) -> fake);
        engines.add(keyless);
        String body = "{\"model\":\"tiny\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        send(keyless, body, "alpha", new TrustedTokenIds(SECRET.getBytes()).sign("alpha", "tiny", body.getBytes(), IDS));

        assertThat(fake.submitted()).extracting(r -> r.tenant()).containsExactly("routers");
    }

    @Test
    void engineSide_aModelWithItsOwnReasoningEffort_tokenisesChatsThatDoNotNameOne() throws Exception {
        Path cache = Files.createTempDirectory("fairlane-effort");
        String yaml = """
                server: {host: 127.0.0.1, port: 0, event_loops: 1, cache_dir: %s, internal_key_env: KEY}
                storage: {enabled: false}
                tenants:
                  - {id: routers, api_keys: ["%s"]}
                  - {id: alpha, api_keys: ["%s"]}
                models:
                  - id: tiny
                    local: {synthetic: {shape: tiny}, backend: cpu, reasoning_effort: none}
                """.formatted(cache, ApiKeyHash.of(ROUTER_KEY), ApiKeyHash.of(ALPHA));
        FakeEngine fake = new FakeEngine();
        Gateway effort = Gateway.start(new ConfigLoader(Map.of("HOME", cache.toString(), "KEY", SECRET))
                .parse(yaml, "effort"), (model, tenants, stats) -> fake);
        engines.add(effort);
        TrustedTokenIds keys = new TrustedTokenIds(SECRET.getBytes());
        String plain = "{\"model\":\"tiny\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        String named = "{\"model\":\"tiny\",\"max_tokens\":2,\"reasoning_effort\":\"high\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        // The router renders without the model's default effort: its ids are not this engine's prompt.
        send(effort, plain, "alpha", keys.sign("alpha", "tiny", plain.getBytes(), IDS));
        // A request naming its effort renders the same on both tiers.
        send(effort, named, "alpha", keys.sign("alpha", "tiny", named.getBytes(), IDS));

        assertThat(fake.submitted()).extracting(r -> r.tenant()).containsExactly("alpha", "alpha");
        assertThat(fake.trustedIds()).containsExactly(IDS);
    }

    private static void send(Gateway engine, String body, String tenant, String[] signed) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + engine.port()
                        + "/v1/chat/completions")).header("Authorization", "Bearer " + ROUTER_KEY)
                .header("Content-Type", "application/json").header(SignedTenant.TENANT_HEADER, tenant)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (signed != null) {
            b.header(TrustedTokenIds.IDS_HEADER, signed[0])
                    .header(TrustedTokenIds.MAC_HEADER, signed[1]);
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
}
