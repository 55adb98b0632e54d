package io.fairlane.gateway.deploy;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** docker/healthcheck.sh, the images' HEALTHCHECK, against a stand-in /health/ready. */
class HealthcheckScriptTest {

    private HttpServer server;

    private int serveReady(int status) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/health/ready", exchange -> {
            byte[] body = (status == 200 ? "ready" : "draining").getBytes();
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private static int healthcheck(int port) throws Exception {
        Path script = ProjectFiles.docker().resolve("healthcheck.sh");
        Process process = new ProcessBuilder("bash", script.toString(), Integer.toString(port))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).as("healthcheck finished").isTrue();
        return process.exitValue();
    }

    @Test
    void healthcheck_readyGateway_isHealthy() throws Exception {
        assertThat(healthcheck(serveReady(200))).isZero();
    }

    @Test
    void healthcheck_drainingGateway_isUnhealthy() throws Exception {
        assertThat(healthcheck(serveReady(503))).isEqualTo(1);
    }

    @Test
    void healthcheck_nothingListening_isUnhealthy() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        assertThat(healthcheck(port)).isEqualTo(1);
    }
}
