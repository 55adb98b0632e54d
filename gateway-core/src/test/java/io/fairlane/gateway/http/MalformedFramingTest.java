package io.fairlane.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.LogCapture;
import io.fairlane.gateway.testing.RawHttp;
import io.fairlane.gateway.testing.TestGateway;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Requests whose HTTP framing is broken, sent over raw sockets, unauthenticated: each is answered 400 with an
 * OpenAI error body and the connection closed, never a 500 or an ERROR with a stack trace; the access log has a
 * line for each (and for the 413/414/431 refusals), and the next request is served.
 */
@ExtendWith(GatewayExtension.class)
class MalformedFramingTest {

    private static final String HEAD = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n";

    private static JsonNode errorOf(String response) throws Exception {
        assertThat(response).doesNotContain("<timeout>");
        String body = response.substring(response.indexOf("\r\n\r\n") + 4);
        JsonNode e = Json.MAPPER.readTree(body).get("error");
        assertThat(e.has("message") && e.has("type") && e.has("param") && e.has("code")).as("all four keys").isTrue();
        return e;
    }

    private static String send(TestGateway g, String raw) throws Exception {
        try (RawHttp c = new RawHttp(g.port())) {
            return c.write(raw).readUntilClose();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GARBAGE\r\n\r\n",
        HEAD + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        HEAD + "Content-Length: -1\r\n\r\n",
        HEAD + "Content-Length: 12abc\r\n\r\n",
        HEAD + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        HEAD + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nffffffffffffffffff\r\n",
        "GET /health/live HTTP/1.1\r\nBad Header Name: x\r\n\r\n",
    })
    void brokenFraming_answers400MalformedAndCloses(String raw, TestGateway g) throws Exception {
        try (LogCapture logs = new LogCapture(ErrorMapper.class.getName(), RequestDispatcher.class.getName())) {
            String response = send(g, raw);
            assertThat(response).startsWith("HTTP/1.1 400 ").containsIgnoringCase("connection: close");
            JsonNode e = errorOf(response);
            assertThat(e.get("code").asText()).isEqualTo("malformed_request");
            assertThat(e.get("type").asText()).isEqualTo("invalid_request_error");
            assertThat(logs.events()).noneMatch(ev -> ev.getLevel().isGreaterOrEqual(Level.WARN));
        }
        assertThat(g.plainChat().statusCode()).isEqualTo(200);
    }

    @Test
    void malformedRequest_saysWhatWasWrong(TestGateway g) throws Exception {
        JsonNode e = errorOf(send(g, HEAD + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"));
        assertThat(e.get("message").asText()).contains("Content-Length");
    }

    @Test
    void refusalsAndMalformedRequests_appearInTheAccessLog(TestGateway g) throws Exception {
        try (LogCapture access = new LogCapture("fairlane.access")) {
            send(g, "GARBAGE\r\n\r\n");
            send(g, HEAD + "Content-Type: application/json\r\nContent-Length: " + (2 << 20) + "\r\n\r\n");
            send(g, "GET /v1/models/" + "a".repeat(4096) + " HTTP/1.1\r\nHost: x\r\n\r\n");
            send(g, "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(16 * 1024) + "\r\n\r\n");
            // The access line is written once the answer has been sent, which can be after the client read it.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline && !java.util.stream.Stream.of("400", "413", "414", "431")
                    .allMatch(st -> access.messages().stream().anyMatch(m -> m.contains("status=" + st)))) {
                Thread.sleep(10);
            }
            assertThat(access.messages()).anyMatch(m -> m.contains("status=400"))
                    .anyMatch(m -> m.contains("status=413") && m.contains("error=request_too_large"))
                    .anyMatch(m -> m.contains("status=414"))
                    .anyMatch(m -> m.contains("status=431"));
        }
    }

    @Test
    void malformedRequest_countsAsAConnectionEvent(TestGateway g) throws Exception {
        double before = count(g);
        send(g, "GARBAGE\r\n\r\n");
        assertThat(count(g)).isEqualTo(before + 1);
    }

    private static double count(TestGateway g) {
        return g.gateway().registry().get("fairlane.connection.events").tag("kind", "malformed_request").counter()
                .count();
    }
}
