package io.fairlane.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.testing.LeakRecorder;
import io.fairlane.gateway.testing.MinimalGateway;
import io.fairlane.gateway.testing.RawHttp;
import io.fairlane.gateway.testing.TestGateway;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Slow POST, over raw sockets and unauthenticated: complete headers, then a body trickled a byte at a time, or a
 * chunked body that never ends. With {@code body_read: 1s} and {@code min_body_rate: 1KiB} each is answered 408
 * and closed within a few seconds (it used to stay open indefinitely), while a body that keeps up the rate is
 * served however long it takes.
 */
class SlowBodyTest {

    private static final String AUTH = "Authorization: Bearer " + TestGateway.DEMO_KEY + "\r\n";
    private static MinimalGateway gateway;

    @BeforeAll
    static void start() throws Exception {
        gateway = MinimalGateway.start("""
                  limits: {min_body_rate: 1KiB}
                  timeouts: {header_read: 5s, body_read: 1s}
                """);
    }

    @AfterAll
    static void stop() {
        gateway.close();
        assertThat(LeakRecorder.check()).as("leaked buffers").isEmpty();
    }

    /** Sends {@code head}, then {@code unit} every {@code gapMillis} until the server closes; returns its answer. */
    private static String trickle(RawHttp c, String head, String unit, int gapMillis) throws Exception {
        c.write(head);
        c.socket().setSoTimeout(gapMillis);
        StringBuilder answer = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        byte[] buf = new byte[4096];
        while (System.nanoTime() < deadline) {
            try {
                c.write(unit);
            } catch (IOException e) {
                break; // closed by the server
            }
            try {
                int n = c.socket().getInputStream().read(buf);
                if (n < 0) {
                    break;
                }
                answer.append(new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8));
            } catch (java.net.SocketTimeoutException e) {
                // nothing yet: send the next byte
            } catch (IOException e) {
                break;
            }
        }
        return answer.toString();
    }

    @Test
    void contentLengthBodyTrickled_answered408AndClosed() throws Exception {
        long start = System.nanoTime();
        String answer;
        try (RawHttp c = new RawHttp(gateway.port())) {
            answer = trickle(c, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + AUTH
                    + "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n", "a", 200);
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertThat(answer).startsWith("HTTP/1.1 408 ").containsIgnoringCase("connection: close")
                .contains("\"code\":\"request_timeout\"");
        assertThat(seconds).as("cut about body_read after the headers").isLessThan(10);
        assertThat(gateway.models().statusCode()).isEqualTo(200);
    }

    @Test
    void chunkedBodyThatNeverEnds_answered408AndClosed() throws Exception {
        String answer;
        try (RawHttp c = new RawHttp(gateway.port())) {
            // One-byte chunks, one every 200 ms: always progress, never enough.
            answer = trickle(c, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + AUTH
                    + "Transfer-Encoding: chunked\r\n\r\n", "1\r\na\r\n", 200);
        }
        assertThat(answer).startsWith("HTTP/1.1 408 ");
        assertThat(gateway.models().statusCode()).isEqualTo(200);
    }

    @Test
    void bodyThatKeepsUpTheRate_isServedPastTheGrace() throws Exception {
        byte[] body = ("{\"model\":\"nowhere\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(9000)
                + "\"}]}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (RawHttp c = new RawHttp(gateway.port())) {
            c.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + AUTH
                    + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n");
            // 2 KiB every 500 ms: 4 KiB/s, four times the minimum, for about 2.5 s in all.
            for (int off = 0; off < body.length; off += 2048) {
                c.write(java.util.Arrays.copyOfRange(body, off, Math.min(body.length, off + 2048)));
                Thread.sleep(500);
            }
            String answer = c.readResponse();
            // The body arrived whole: the model's upstream is down, so 503, not a 408.
            assertThat(answer).doesNotStartWith("HTTP/1.1 408").startsWith("HTTP/1.1 503");
        }
    }

    @Test
    void slowBody_countsOneBodyTimeoutEvent() throws Exception {
        double before = gateway.connectionEvents("body_timeout");
        try (RawHttp c = new RawHttp(gateway.port())) {
            c.write("POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{");
            assertThat(c.readUntilClose()).startsWith("HTTP/1.1 408");
        }
        assertThat(gateway.connectionEvents("body_timeout")).isEqualTo(before + 1);
    }
}
