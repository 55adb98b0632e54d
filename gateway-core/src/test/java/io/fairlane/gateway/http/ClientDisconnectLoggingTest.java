package io.fairlane.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.fairlane.gateway.testing.LeakRecorder;
import io.fairlane.gateway.testing.LogCapture;
import io.fairlane.gateway.testing.MinimalGateway;
import io.fairlane.gateway.testing.RawHttp;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sixty clients that leave in the middle of their request bodies: each is counted, the log gets a few lines
 * (rate-limited), none of them a WARN or a stack trace; it used to be a WARN with a full stack trace each.
 */
class ClientDisconnectLoggingTest {

    private static final int CLIENTS = 60;
    private static MinimalGateway gateway;

    @BeforeAll
    static void start() throws Exception {
        gateway = MinimalGateway.start("  timeouts: {header_read: 5s}");
    }

    @AfterAll
    static void stop() {
        gateway.close();
        assertThat(LeakRecorder.check()).as("leaked buffers").isEmpty();
    }

    @Test
    void clientsLeavingMidBody_areCountedAndLoggedBriefly() throws Exception {
        double before = gateway.connectionEvents("client_gone_mid_request");
        try (LogCapture logs = new LogCapture(ConnectionEvents.class.getName(), RequestDispatcher.class.getName(),
                "io.netty")) {
            for (int i = 0; i < CLIENTS; i++) {
                try (RawHttp c = new RawHttp(gateway.port())) {
                    c.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{\"mo");
                    Thread.sleep(2); // let the server read the start of the body before the close
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (gateway.connectionEvents("client_gone_mid_request") < before + CLIENTS
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(gateway.connectionEvents("client_gone_mid_request")).isEqualTo(before + CLIENTS);
            assertThat(logs.events()).as("rate-limited lines").hasSizeLessThanOrEqualTo(
                    ConnectionEvents.LINES_PER_WINDOW + 1);
            assertThat(logs.events()).noneMatch(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                    .allMatch(e -> e.getThrowableProxy() == null);
        }
        assertThat(gateway.models().statusCode()).isEqualTo(200);
    }
}
