package io.fairlane.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.FairlaneConfig;
import io.fairlane.gateway.testing.TestGateway;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Starting on a port another process holds fails with the address named and leaves nothing of the half-built gateway running. */
class GatewayStartTest {

    /** Live threads of the gateway's event-loop groups, less those other tests in this JVM left ({@code before}). */
    private static java.util.Set<Thread> loops(java.util.Set<Thread> before) {
        java.util.Set<Thread> now = new java.util.HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && !before.contains(t)
                    && (t.getName().startsWith("fairlane-accept") || t.getName().startsWith("fairlane-io"))) {
                now.add(t);
            }
        }
        return now;
    }

    @Test
    void portTaken_startFailsWithABindException_andItsEventLoopsStop() throws Exception {
        Path cache = Files.createTempDirectory("fairlane-start");
        java.util.Set<Thread> before = loops(java.util.Set.of());
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            FairlaneConfig config = new ConfigLoader(Map.of("HOME", cache.toString())).parse("""
                    server: {host: 127.0.0.1, port: %d, event_loops: 1, cache_dir: %s}
                    tenants:
                      - {id: demo, api_keys: ["%s"]}
                    models:
                      - id: nowhere
                        upstream: {url: "http://127.0.0.1:%d/v1"}
                    """.formatted(taken.getLocalPort(), cache, ApiKeyHash.of(TestGateway.DEMO_KEY),
                    TestGateway.deadPort()), "start test config");

            assertThatThrownBy(() -> Gateway.start(config, (model, tenants, stats) -> {
                throw new IllegalStateException("no local models here");
            })).isInstanceOf(UncheckedIOException.class).cause().isInstanceOf(BindException.class)
                    .hasMessageContaining("127.0.0.1:" + port);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!loops(before).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(loops(before)).as("event-loop threads the failed start left running").isEmpty();
    }
}
