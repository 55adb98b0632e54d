package io.fairlane.gateway.testing;

import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.FairlaneConfig;
import io.micrometer.core.instrument.Counter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A gateway of its own for tests that need server settings the shared {@link TestGateway} must not have (tiny
 * body deadlines, connection caps): one tenant ({@link TestGateway#DEMO_KEY}) and one upstream model that nothing
 * serves, so it starts in well under a second. Close it after the test.
 */
public final class MinimalGateway implements AutoCloseable {

    private final Gateway gateway;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private MinimalGateway(Gateway gateway) {
        this.gateway = gateway;
    }

    /** Starts one whose {@code server} section also holds {@code serverLines} (YAML indented by two spaces). */
    public static MinimalGateway start(String serverLines) throws Exception {
        Path cache = Files.createTempDirectory("fairlane-minimal");
        String yaml = """
                server:
                  host: 127.0.0.1
                  port: 0
                  event_loops: 1
                  cache_dir: %s
                %s
                tenants:
                  - {id: demo, api_keys: ["%s"]}
                models:
                  - id: nowhere
                    upstream: {url: "http://127.0.0.1:%d/v1"}
                """.formatted(cache, serverLines.stripTrailing(), ApiKeyHash.of(TestGateway.DEMO_KEY),
                TestGateway.deadPort());
        FairlaneConfig config = new ConfigLoader(Map.of("HOME", cache.toString())).parse(yaml, "minimal test config");
        return new MinimalGateway(Gateway.start(config, (model, tenants, stats) -> {
            throw new IllegalStateException("no local models here");
        }));
    }

    public int port() {
        return gateway.port();
    }

    public Gateway gateway() {
        return gateway;
    }

    /** {@code GET /v1/models} with the demo key: the request that shows the gateway still serves. */
    public HttpResponse<String> models() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + "/v1/models"))
                .header("Authorization", "Bearer " + TestGateway.DEMO_KEY).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The connection-event counter of {@code kind}. */
    public double connectionEvents(String kind) {
        Counter c = gateway.registry().find("fairlane.connection.events").tag("kind", kind).counter();
        return c == null ? 0 : c.count();
    }

    /** The open-connection gauge. */
    public double openConnections() {
        return gateway.registry().get("fairlane.connections.open").gauge().value();
    }

    @Override
    public void close() {
        gateway.close();
    }
}
