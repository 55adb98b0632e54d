package io.fairlane.gateway.slo;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.FairlaneConfig;
import io.fairlane.gateway.metrics.SloTracker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A configuration reload applies tenants' SLOs and the admin keys to a running gateway: the composition in
 * {@code Gateway.reload}, which the unit tests of {@code SloTracker} and {@code AdminAuthenticator} cannot see.
 */
class SloReloadTest {

    @TempDir
    Path dir;
    private Gateway gateway;
    private ConfigLoader loader;

    private static String config(String slos, String adminKeys) {
        return """
                server: {host: 127.0.0.1, port: 0, event_loops: 1}
                tenants:
                  - id: t
                    api_keys: ["%s"]
                %s
                models:
                  - id: up
                    upstream: {url: "http://127.0.0.1:9/v1"}
                %s
                """.formatted(ApiKeyHash.of("sk-t"), slos, adminKeys);
    }

    @BeforeEach
    void start() throws Exception {
        loader = new ConfigLoader(Map.of("HOME", dir.toString()));
        gateway = Gateway.start(loader.parse(config("", ""), "test"), (m, t, s) -> {
            throw new UnsupportedOperationException("no engine in this test");
        });
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    private FairlaneConfig reloaded(String slos, String adminKeys) {
        return loader.parse(config(slos, adminKeys), "reload");
    }

    @Test
    void reload_addedSlo_existsAtOnceWithItsObjective() {
        gateway.reload(reloaded("    slos: [{name: fast, metric: ttft, threshold: 300ms, objective: 0.95}]", ""));
        assertThat(gateway.registry().get("fairlane.slo.objective").tags("tenant", "t", "slo", "fast").gauge().value())
                .isEqualTo(0.95);
    }

    @Test
    void reload_removedSlo_losesItsMeters() {
        gateway.reload(reloaded("    slos: [{name: fast, metric: ttft, threshold: 300ms, objective: 0.95}]", ""));
        gateway.reload(reloaded("", ""));
        assertThat(gateway.registry().find("fairlane.slo.burn.rate").tags("tenant", "t").gauges()).isEmpty();
    }

    private int usageStatus(String key) throws Exception {
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/admin/usage"))
                    .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        }
    }

    @Test
    void reload_addedAdminKey_opensTheUsageApi() throws Exception {
        gateway.reload(reloaded("", "admin_keys: [\"" + ApiKeyHash.of("sk-admin") + "\"]"));
        assertThat(usageStatus("sk-admin")).isEqualTo(200);
    }

    @Test
    void reload_removedAdminKey_closesTheUsageApi() throws Exception {
        gateway.reload(reloaded("", "admin_keys: [\"" + ApiKeyHash.of("sk-admin") + "\"]"));
        gateway.reload(reloaded("", ""));
        assertThat(usageStatus("sk-admin")).isEqualTo(401);
    }
}
