package io.fairlane.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.RawHttp;
import io.fairlane.gateway.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The HTTP front end against bad input, on the real server; after each, the next request must succeed. */
@ExtendWith(GatewayExtension.class)
class FrontEndTest {

    private static final String CHAT = "/v1/chat/completions";

    private static JsonNode error(HttpResponse<String> r) throws Exception {
        JsonNode e = Json.MAPPER.readTree(r.body()).get("error");
        assertThat(e).isNotNull();
        assertThat(e.has("message") && e.has("type") && e.has("param") && e.has("code")).as("all four keys").isTrue();
        return e;
    }

    /** A real chat completion through auth, parsing, the scheduler and the upstream pool still works. */
    private static void nextRequestSucceeds(TestGateway g) throws Exception {
        HttpResponse<String> next = g.plainChat();
        assertThat(next.statusCode() + " " + next.body()).startsWith("200 ").contains("Hi there");
    }

    @Test
    void live_always_answersOk(TestGateway g) throws Exception {
        assertThat(g.get("/health/live").statusCode()).isEqualTo(200);
    }

    @Test
    void ready_whenServing_answersOk(TestGateway g) throws Exception {
        assertThat(g.get("/health/ready").body()).contains("ready");
    }

    @Test
    void malformedJson_answers400WithOpenAiBody(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(CHAT, "{\"model\": \"gpt-stub\", \"messages\": [");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error(r).get("message").asText()).contains("could not parse the JSON body");
        nextRequestSucceeds(g);
    }

    @Test
    void invalidUtf8_answers400(TestGateway g) throws Exception {
        byte[] prefix = "{\"model\":\"gpt-stub\",\"messages\":[{\"role\":\"user\",\"content\":\"".getBytes(StandardCharsets.UTF_8);
        byte[] bad = {(byte) 0xC3, (byte) 0x28, (byte) 0xFF};
        byte[] suffix = "\"}]}".getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[prefix.length + bad.length + suffix.length];
        System.arraycopy(prefix, 0, body, 0, prefix.length);
        System.arraycopy(bad, 0, body, prefix.length, bad.length);
        System.arraycopy(suffix, 0, body, prefix.length + bad.length, suffix.length);
        HttpResponse<String> r = g.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + CHAT))
                .header("Authorization", "Bearer " + TestGateway.DEMO_KEY)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error(r).get("message").asText()).contains("UTF-8");
        nextRequestSucceeds(g);
    }

    @Test
    void wrongType_answers400NamingTheParam(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(CHAT, "{\"model\":\"gpt-stub\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                + "\"temperature\":\"hot\"}");
        JsonNode e = error(r);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(e.get("param").asText()).isEqualTo("temperature");
        assertThat(e.get("code").asText()).isEqualTo("invalid_type");
        nextRequestSucceeds(g);
    }

    @Test
    void emptyMessages_answers400EmptyArray(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(CHAT, "{\"model\":\"gpt-stub\",\"messages\":[]}");
        JsonNode e = error(r);
        assertThat(e.get("param").asText() + " " + e.get("code").asText()).isEqualTo("messages empty_array");
        nextRequestSucceeds(g);
    }

    @Test
    void unknownRole_answers400InvalidValueWithPath(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(CHAT, "{\"model\":\"gpt-stub\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"},"
                + "{\"role\":\"wizard\",\"content\":\"b\"}]}");
        JsonNode e = error(r);
        assertThat(e.get("param").asText() + " " + e.get("code").asText()).isEqualTo("messages[1].role invalid_value");
        nextRequestSucceeds(g);
    }

    @Test
    void nOutOfRange_answers400(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(CHAT, "{\"model\":\"gpt-stub\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"n\":0}");
        assertThat(error(r).get("code").asText()).isEqualTo("integer_below_min_value");
    }

    @Test
    void badStopType_answers400(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(CHAT, "{\"model\":\"gpt-stub\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"stop\":5}");
        assertThat(error(r).get("param").asText()).isEqualTo("stop");
    }

    @Test
    void badToolSchema_answers400NamingTheTool(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(CHAT, "{\"model\":\"gpt-stub\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],"
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"has space\"}}]}");
        assertThat(error(r).get("param").asText()).isEqualTo("tools[0].function.name");
    }

    @Test
    void unknownModel_answers404ModelNotFound(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(CHAT, "{\"model\":\"nope\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(error(r).get("code").asText()).isEqualTo("model_not_found");
    }

    @Test
    void unknownPath_answers404InvalidUrl(TestGateway g) throws Exception {
        HttpResponse<String> r = g.get("/v1/nothing-here");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(error(r).get("message").asText()).isEqualTo("Invalid URL (GET /v1/nothing-here)");
    }

    @Test
    void wrongMethod_answers405WithAllow(TestGateway g) throws Exception {
        HttpResponse<String> r = g.get(CHAT);
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("allow")).contains("POST");
    }

    @Test
    void clientRequestId_isKept(TestGateway g) throws Exception {
        HttpResponse<String> r = g.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + "/health/live"))
                .header("x-request-id", "my-trace-42").GET().build());
        assertThat(r.headers().firstValue("x-request-id")).contains("my-trace-42");
    }

    @Test
    void everyResponse_carriesRequestIdAndProcessingMs(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(CHAT, "{}");
        assertThat(r.headers().firstValue("x-request-id").orElse("")).startsWith("req_");
        assertThat(r.headers().firstValue("openai-processing-ms")).isPresent();
    }

    @Test
    void oversizedBody_answers413AndClosesThenServes(TestGateway g) throws Exception {
        try (RawHttp raw = new RawHttp(g.port())) {
            raw.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Authorization: Bearer " + TestGateway.DEMO_KEY + "\r\nContent-Length: " + (2 << 20) + "\r\n\r\n");
            String response = raw.readUntilClose();
            assertThat(response).startsWith("HTTP/1.1 413").contains("\"code\":\"request_too_large\"");
        }
        nextRequestSucceeds(g);
    }

    @Test
    void oversizedBodyWithExpectContinue_answers413WithTheErrorBodyBeforeTheBodyIsSent(TestGateway g) throws Exception {
        try (RawHttp raw = new RawHttp(g.port())) {
            raw.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Authorization: Bearer " + TestGateway.DEMO_KEY + "\r\nExpect: 100-continue\r\nContent-Length: "
                    + (2 << 20) + "\r\n\r\n");
            assertThat(raw.readUntilClose()).startsWith("HTTP/1.1 413").contains("\"code\":\"request_too_large\"");
        }
        nextRequestSucceeds(g);
    }

    @Test
    void oversizedChunkedBody_answers413(TestGateway g) throws Exception {
        try (RawHttp raw = new RawHttp(g.port())) {
            raw.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
            byte[] chunk = new byte[64 * 1024];
            java.util.Arrays.fill(chunk, (byte) 'a');
            String response;
            try {
                for (int i = 0; i < 20; i++) {
                    raw.write(Integer.toHexString(chunk.length) + "\r\n").write(chunk).write("\r\n");
                }
            } catch (java.io.IOException e) {
                // the server closed while we were still sending: expected
            }
            response = raw.readUntilClose();
            assertThat(response).startsWith("HTTP/1.1 413");
        }
        nextRequestSucceeds(g);
    }

    @Test
    void hugeHeaders_answers431(TestGateway g) throws Exception {
        try (RawHttp raw = new RawHttp(g.port())) {
            raw.write("GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(16 * 1024) + "\r\n\r\n");
            assertThat(raw.readUntilClose()).startsWith("HTTP/1.1 431");
        }
        nextRequestSucceeds(g);
    }

    @Test
    void hugeUri_answers414(TestGateway g) throws Exception {
        try (RawHttp raw = new RawHttp(g.port())) {
            raw.write("GET /v1/models/" + "a".repeat(4096) + " HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.readUntilClose()).startsWith("HTTP/1.1 414");
        }
        nextRequestSucceeds(g);
    }

    @Test
    void headersNeverCompleted_connectionDropped(TestGateway g) throws Exception {
        try (RawHttp raw = new RawHttp(g.port())) {
            raw.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Slow: ");
            long start = System.nanoTime();
            String response = raw.readUntilClose();
            assertThat(response).doesNotContain("<timeout>").isEmpty();
            assertThat((System.nanoTime() - start) / 1_000_000).as("dropped after the 1 s header timeout").isLessThan(5000);
        }
        nextRequestSucceeds(g);
    }

    @Test
    void keepAlive_servesSeveralRequestsOnOneConnection(TestGateway g) throws Exception {
        try (RawHttp raw = new RawHttp(g.port())) {
            raw.write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
            String first = raw.readResponse();
            raw.write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
            String second = raw.readResponse();
            assertThat(first + second).contains("HTTP/1.1 200").doesNotContain("connection: close");
        }
    }

    @Test
    void pipelinedRequests_answeredInOrder(TestGateway g) throws Exception {
        try (RawHttp raw = new RawHttp(g.port())) {
            raw.write("GET /health/live HTTP/1.1\r\nHost: x\r\nx-request-id: one\r\n\r\n"
                    + "GET /health/ready HTTP/1.1\r\nHost: x\r\nx-request-id: two\r\n\r\n");
            String first = raw.readResponse();
            String second = raw.readResponse();
            assertThat(first).contains("x-request-id: one");
            assertThat(second).contains("x-request-id: two");
        }
    }

    @Test
    void garbageRequestLine_answers400AndCloses(TestGateway g) throws Exception {
        try (RawHttp raw = new RawHttp(g.port())) {
            raw.write("\u0001\u0002 not http at all\r\n\r\n");
            String response = raw.readUntilClose();
            assertThat(response).doesNotContain("<timeout>");
        }
        nextRequestSucceeds(g);
    }
}
