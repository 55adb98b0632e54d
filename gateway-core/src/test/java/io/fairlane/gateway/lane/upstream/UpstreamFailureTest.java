package io.fairlane.gateway.lane.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.RawHttp;
import io.fairlane.gateway.testing.TestGateway;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Upstream failures at every stage, and clients that leave: the right error or a clean teardown. */
@ExtendWith(GatewayExtension.class)
class UpstreamFailureTest {

    private static String chat(String user, boolean stream) {
        return "{\"model\":\"raw\",\"stream\":" + stream + ",\"user\":\"" + user
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    /** A real chat completion through the upstream lane still works after the failure. */
    private static void nextRequestSucceeds(TestGateway g) throws Exception {
        HttpResponse<String> next = g.plainChat();
        assertThat(next.statusCode() + " " + next.body()).startsWith("200 ").contains("Hi there");
    }

    @Test
    void resetMidStream_endsWithErrorEventAndNoDone(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post("/v1/chat/completions", chat("reset-mid-stream", true));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"content\":\"x\"").contains("data: {\"error\":").doesNotContain("[DONE]");
        nextRequestSucceeds(g);
    }

    @Test
    void resetMidStream_keepsTheClientConnectionForItsNextRequest(TestGateway g) throws Exception {
        try (RawHttp raw = new RawHttp(g.port())) {
            String body = chat("reset-mid-stream", true);
            raw.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestGateway.DEMO_KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            StringBuilder stream = new StringBuilder();
            while (stream.indexOf("data: {\"error\"") < 0 || !stream.toString().endsWith("0\r\n\r\n")) {
                int b = raw.socket().getInputStream().read();
                assertThat(b).as("the stream so far: " + stream).isNotNegative();
                stream.append((char) b);
            }

            raw.write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");

            assertThat(raw.readResponse()).startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void resetBeforeHead_answers502WithRetryAfter(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post("/v1/chat/completions", chat("reset-before-head", false));
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.headers().firstValue("retry-after")).isPresent();
        nextRequestSucceeds(g);
    }

    @Test
    void upstreamSilent_answers504AfterFirstByteTimeout(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post("/v1/chat/completions", chat("hang", true));
        assertThat(r.statusCode()).isEqualTo(504);
        nextRequestSucceeds(g);
    }

    @Test
    void clientGoneMidStream_closesTheUpstreamCall(TestGateway g) throws Exception {
        int before = g.scripted().closedEarly();
        try (RawHttp raw = new RawHttp(g.port())) {
            String body = chat("slow-stream", true);
            raw.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestGateway.DEMO_KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            byte[] first = raw.socket().getInputStream().readNBytes(200);
            assertThat(new String(first)).startsWith("HTTP/1.1 200");
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (g.scripted().closedEarly() == before && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(g.scripted().closedEarly()).isGreaterThan(before);
        nextRequestSucceeds(g);
    }
}
