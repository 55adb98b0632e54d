package io.fairlane.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.testing.LeakRecorder;
import io.fairlane.gateway.testing.MinimalGateway;
import io.fairlane.gateway.testing.RawHttp;
import io.fairlane.gateway.testing.TestGateway;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The connection caps, over raw sockets from several loopback addresses: with at most 2 connections per address
 * and 4 in all, one more from a busy address gets 429 and one more beyond the total gets 503, each an OpenAI
 * error body on its first request and then a closed connection; a slot freed is a slot to use again.
 */
class ConnectionCapsTest {

    private static final String MODELS = "GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + TestGateway.DEMO_KEY + "\r\n\r\n";
    private static MinimalGateway gateway;
    private final List<RawHttp> held = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        gateway = MinimalGateway.start("  limits: {max_connections: 4, max_connections_per_address: 2}");
    }

    @AfterAll
    static void stop() {
        gateway.close();
        assertThat(LeakRecorder.check()).as("leaked buffers").isEmpty();
    }

    @AfterEach
    void release() throws Exception {
        for (RawHttp c : held) {
            c.close();
        }
        held.clear();
        awaitOpen(0);
    }

    private static InetAddress loopback(int last) throws Exception {
        return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
    }

    /** A connection from 127.0.0.{@code last} that was served one request and stays open. */
    private RawHttp hold(int last) throws Exception {
        RawHttp c = new RawHttp(gateway.port(), loopback(last));
        held.add(c);
        assertThat(c.write(MODELS).readResponse()).startsWith("HTTP/1.1 200 ");
        return c;
    }

    private static void awaitOpen(int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (gateway.openConnections() != expected && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(gateway.openConnections()).isEqualTo(expected);
    }

    @Test
    void oneMoreFromABusyAddress_answered429AndClosed() throws Exception {
        hold(1);
        hold(1);
        try (RawHttp extra = new RawHttp(gateway.port(), loopback(1))) {
            String answer = extra.write(MODELS).readUntilClose();
            assertThat(answer).startsWith("HTTP/1.1 429 ").containsIgnoringCase("connection: close")
                    .containsIgnoringCase("retry-after: 1").contains("\"code\":\"too_many_connections\"");
        }
        // Another address is not affected.
        hold(2);
    }

    @Test
    void oneMoreBeyondTheTotal_answered503AndClosed() throws Exception {
        hold(2);
        hold(2);
        hold(3);
        hold(3);
        try (RawHttp extra = new RawHttp(gateway.port(), loopback(4))) {
            assertThat(extra.write(MODELS).readUntilClose()).startsWith("HTTP/1.1 503 ")
                    .contains("\"code\":\"too_many_connections\"");
        }
    }

    @Test
    void closingAConnection_freesItsSlot() throws Exception {
        RawHttp first = hold(5);
        hold(5);
        first.close();
        awaitOpen(1);
        hold(5);
        awaitOpen(2);
    }

    @Test
    void refusals_areCountedByKind() throws Exception {
        double before = gateway.connectionEvents("refused_address_limit");
        hold(6);
        hold(6);
        try (RawHttp extra = new RawHttp(gateway.port(), loopback(6))) {
            extra.write(MODELS).readUntilClose();
        }
        assertThat(gateway.connectionEvents("refused_address_limit")).isEqualTo(before + 1);
    }
}
