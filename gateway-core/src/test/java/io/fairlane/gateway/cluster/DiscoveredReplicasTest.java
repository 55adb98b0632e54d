package io.fairlane.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.FairlaneConfig;
import io.fairlane.gateway.testing.FakeEngine;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A router whose engine replicas are the addresses of a DNS name, as behind a Kubernetes headless Service, while the
 * name's records change: three engines listen on one port at three loopback addresses (all of 127/8 is loopback),
 * and the name answers with some of them. A replica that joins takes traffic and has its load read without a
 * restart; a replica that leaves takes no more requests, and no request fails on the way.
 */
class DiscoveredReplicasTest {

    private static final String[] ADDRESSES = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};
    private static final String KEY = "sk-discovered";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Duration PATIENCE = Duration.ofSeconds(15);

    /** The router presents the engines the value of an environment variable as its key: HOME is always there. */
    private static final String ROUTER_KEY = System.getenv("HOME");

    private final String name = "engines-" + UUID.randomUUID() + ".fairlane.test";
    private final AtomicReference<List<InetAddress>> records = new AtomicReference<>(List.of());
    private final AtomicInteger lookups = new AtomicInteger();
    private final List<Gateway> engines = new ArrayList<>();
    private final List<FakeEngine> fakes = new ArrayList<>();
    private Gateway router;
    private int port;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(ROUTER_KEY != null && !ROUTER_KEY.isEmpty(), "needs HOME set: it stands in for the router's key");
        assumeTrue(loopbackAliases(), "needs 127.0.0.2-4 to be loopback addresses (as on Linux)");
        startEngines();
        Discovery.OWN_RESOLVERS.put(name, host -> {
            lookups.incrementAndGet();
            return records.get();
        });
        answer(0, 1);
        Path cache = Files.createTempDirectory("fairlane-router");
        String yaml = """
                server: {host: 127.0.0.1, port: 0, event_loops: 1, cache_dir: %s}
                storage: {enabled: false}
                tenants:
                  - {id: alpha, api_keys: ["%s"]}
                models:
                  - id: tiny
                    engines:
                      discovery: {dns: %s, port: %d, refresh: 20ms}
                      api_key_env: HOME
                      load_interval: 50ms
                      block_size: 16
                      prefix_blocks: 4
                      timeouts: {connect: 1s}
                """.formatted(cache, ApiKeyHash.of(KEY), name, port);
        router = Gateway.start(new ConfigLoader(Map.of("HOME", cache.toString())).parse(yaml, "router"),
                (model, tenants, stats) -> {
                    throw new AssertionError("a router opens no engine");
                });
    }

    /** Whether every engine address can be listened on: all of 127/8 is on Linux, only 127.0.0.1 elsewhere. */
    private static boolean loopbackAliases() {
        for (String address : ADDRESSES) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(address))) {
                s.getLocalPort();
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    /** Three engines on one port, one per loopback address; a port taken at one address means another try. */
    private void startEngines() throws Exception {
        for (int attempt = 0; ; attempt++) {
            try {
                for (String address : ADDRESSES) {
                    FakeEngine fake = new FakeEngine();
                    Gateway g = Gateway.start(engineConfig(address, port), (model, tenants, stats) -> fake);
                    fakes.add(fake);
                    engines.add(g);
                    port = g.port();
                }
                return;
            } catch (Exception e) { // Netty reports a port in use as a BindException, undeclared
                closeEngines();
                port = 0;
                if (attempt == 4) {
                    throw e;
                }
            }
        }
    }

    private static FairlaneConfig engineConfig(String address, int port) throws Exception {
        Path cache = Files.createTempDirectory("fairlane-engine");
        String yaml = """
                server: {host: %s, port: %d, event_loops: 1, cache_dir: %s}
                storage: {enabled: false}
                tenants:
                  - {id: routers, api_keys: ["%s"]}
                models:
                  - id: tiny
                    local: {synthetic: {shape: tiny}, backend: cpu}
                """.formatted(address, port, cache, ApiKeyHash.of(ROUTER_KEY));
        return new ConfigLoader(Map.of("HOME", cache.toString())).parse(yaml, "engine at " + address);
    }

    @AfterEach
    void stop() throws Exception {
        Discovery.OWN_RESOLVERS.remove(name);
        if (router != null) {
            router.close();
        }
        closeEngines();
    }

    private void closeEngines() {
        for (Gateway g : engines) {
            g.close();
        }
        engines.clear();
        fakes.clear();
    }

    /** The name resolves to the engines at these indexes from now on. */
    private void answer(int... replicas) throws Exception {
        List<InetAddress> out = new ArrayList<>();
        for (int r : replicas) {
            out.add(InetAddress.getByName(ADDRESSES[r]));
        }
        records.set(List.copyOf(out));
    }

    /**
     * Changes the name's records and waits until the router has acted on them: lookups are one at a time and the
     * router hears of a change before the next lookup starts, so two lookups after the change mean it has.
     */
    private void answerAndAwait(int... replicas) throws Exception {
        answer(replicas);
        int seen = lookups.get();
        await("two lookups of " + name + " after its records changed", () -> lookups.get() >= seen + 2);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited " + PATIENCE + " for " + what);
            }
            Thread.sleep(10);
        }
    }

    private HttpResponse<String> chat(int conversation, String question) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.port()
                                + "/v1/chat/completions"))
                        .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"tiny\",\"max_tokens\":2,"
                                + "\"messages\":[{\"role\":\"system\",\"content\":\"You are assistant number "
                                + conversation + " and you answer questions about topic " + conversation
                                + " with care and brevity.\"},{\"role\":\"user\",\"content\":\"" + question
                                + "\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The engine that served a successful response. */
    private int servedBy(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        String target = r.headers().firstValue("x-fairlane-target").orElseThrow();
        for (int i = 0; i < ADDRESSES.length; i++) {
            if (target.startsWith(ADDRESSES[i] + ":")) {
                return i;
            }
        }
        throw new AssertionError("no engine at " + target);
    }

    private static String metrics(Gateway g, String host) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + g.port() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Whether the engine at {@code index} has answered its load endpoint at least once. */
    private boolean loadRead(int index) {
        try {
            return metrics(engines.get(index), ADDRESSES[index])
                    .lines().anyMatch(l -> l.startsWith("fairlane_requests_total{") && l.contains("endpoint=\"load\""));
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void replicasJoinAndLeaveByDns_trafficFollowsWithoutRestartAndNoRequestFails() throws Exception {
        // Two replicas: the conversations spread over both.
        Set<Integer> used = new HashSet<>();
        for (int c = 0; c < 24; c++) {
            used.add(servedBy(chat(c, "hello")));
        }
        assertThat(used).containsExactlyInAnyOrder(0, 1);
        assertThat(fakes.get(2).submitted()).isEmpty();

        // A third joins: its load is read and some conversations move to it.
        answerAndAwait(0, 1, 2);
        await("the router reading the new replica's load", () -> loadRead(2));
        Set<Integer> afterJoin = new HashSet<>();
        for (int c = 100; c < 140 && !afterJoin.contains(2); c++) {
            afterJoin.add(servedBy(chat(c, "hello")));
        }
        assertThat(afterJoin).contains(2);
        assertThat(fakes.get(2).submitted()).isNotEmpty();

        // The first leaves while a client keeps asking: every request succeeds, and after the change none reaches it.
        AtomicBoolean asking = new AtomicBoolean(true);
        List<Integer> statuses = new CopyOnWriteArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread client = Thread.ofVirtual().start(() -> {
            for (int i = 0; asking.get(); i++) {
                try {
                    statuses.add(chat(200 + i % 16, "during the change " + i).statusCode());
                } catch (Exception e) {
                    failure.set(e);
                    return;
                }
            }
        });
        try {
            await("requests in flight during the change", () -> statuses.size() >= 3);
            answerAndAwait(1, 2);
            int before = statuses.size();
            await("requests after the change", () -> statuses.size() >= before + 3);
        } finally {
            asking.set(false);
            client.join(PATIENCE);
        }
        assertThat(failure.get()).isNull();
        assertThat(statuses).isNotEmpty().containsOnly(200);

        int servedByFirst = fakes.get(0).submitted().size();
        Set<Integer> afterLeave = new HashSet<>();
        for (int c = 0; c < 24; c++) {
            afterLeave.add(servedBy(chat(c, "again")));
        }
        assertThat(afterLeave).containsExactlyInAnyOrder(1, 2);
        assertThat(fakes.get(0).submitted()).hasSize(servedByFirst);
    }
}
