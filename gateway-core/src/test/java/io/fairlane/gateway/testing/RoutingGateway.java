package io.fairlane.gateway.testing;

import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.FairlaneConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.search.Search;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A gateway with upstream models only, from a {@code models:} section a test writes (usually around
 * {@link FaultyUpstream}s), with one tenant ({@code demo}) and one admin key. Reads the gateway's meters straight
 * from its registry.
 */
public final class RoutingGateway implements AutoCloseable {

    public static final String KEY = "sk-routing-demo";
    public static final String ADMIN_KEY = "sk-routing-admin";

    private final Gateway gateway;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private RoutingGateway(Gateway gateway) {
        this.gateway = gateway;
    }

    /**
     * @param models  the {@code models:} list, indented by two spaces
     * @param timeouts the {@code server.timeouts} mapping, e.g. {@code {slow_client: 2s}}
     */
    public static RoutingGateway start(String models, String timeouts) throws Exception {
        return new RoutingGateway(Gateway.start(config(models, timeouts), (m, t, s) -> {
            throw new UnsupportedOperationException("no local engines here");
        }));
    }

    public static FairlaneConfig config(String models, String timeouts) throws IOException {
        Path cache = Files.createTempDirectory("fairlane-routing");
        String yaml = """
                server:
                  host: 127.0.0.1
                  port: 0
                  event_loops: 2
                  timeouts: %s
                tenants:
                  - id: demo
                    api_keys: ["%s"]
                  - id: other
                    api_keys: ["%s"]
                admin_keys: ["%s"]
                models:
                %s""".formatted(timeouts, ApiKeyHash.of(KEY), ApiKeyHash.of(KEY + "-other"), ApiKeyHash.of(ADMIN_KEY),
                models);
        return new ConfigLoader(Map.of("HOME", cache.toString())).parse(yaml, "routing test config");
    }

    public Gateway gateway() {
        return gateway;
    }

    public int port() {
        return gateway.port();
    }

    /** A chat completion for {@code model}; {@code extra} is more JSON fields, e.g. {@code "stream":true}. */
    public HttpResponse<String> chat(String model, String extra) throws IOException, InterruptedException {
        return post("/v1/chat/completions", body(model, extra), KEY);
    }

    public static String body(String model, String extra) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"
                + (extra.isEmpty() ? "" : "," + extra) + "}";
    }

    public HttpResponse<String> post(String path, String json, String key) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + path))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> get(String path, String key) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + path))
                .header("Authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The sum of the counters named {@code name} (Micrometer's dotted name) with the given tag pairs; 0 if none. */
    public double counter(String name, String... tags) {
        Search s = gateway.registry().find(name);
        for (int i = 0; i < tags.length; i += 2) {
            s = s.tag(tags[i], tags[i + 1]);
        }
        return s.counters().stream().mapToDouble(Counter::count).sum();
    }

    public double gauge(String name, String... tags) {
        Search s = gateway.registry().find(name);
        for (int i = 0; i < tags.length; i += 2) {
            s = s.tag(tags[i], tags[i + 1]);
        }
        Gauge g = s.gauge();
        return g == null ? Double.NaN : g.value();
    }

    /** Waits (at most 10 s) until the counter reaches {@code atLeast}, for meters recorded just after a response. */
    public double awaitCounter(double atLeast, String name, String... tags) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        double v = counter(name, tags);
        while (v < atLeast && System.nanoTime() < end) {
            Thread.sleep(10);
            v = counter(name, tags);
        }
        return v;
    }

    @Override
    public void close() {
        gateway.close();
    }
}
