package io.fairlane.gateway.lane.upstream;

import static io.fairlane.gateway.testing.FaultyUpstream.COMPLETION;
import static io.fairlane.gateway.testing.FaultyUpstream.chunk;
import static io.fairlane.gateway.testing.FaultyUpstream.commentsEvery;
import static io.fairlane.gateway.testing.FaultyUpstream.endless;
import static io.fairlane.gateway.testing.FaultyUpstream.head;
import static io.fairlane.gateway.testing.FaultyUpstream.json;
import static io.fairlane.gateway.testing.FaultyUpstream.ok;
import static io.fairlane.gateway.testing.FaultyUpstream.twoChunksThen;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.testing.FaultyUpstream;
import io.fairlane.gateway.testing.RoutingGateway;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What an upstream may not do to a client through Fairlane, each reproduced against a fault-injecting upstream:
 * pass a truncated stream off as complete, hold a client with keep-alive comments, blame its own stall on a slow
 * client (or a slow client's on it), fail a large or slow but valid answer, send without bound, answer a stream
 * request with JSON, or name the model differently from what the client asked for. Timeouts here: first byte and
 * between chunks 1 s; slow client 1.5 s.
 */
class UpstreamHardeningTest {

    private static final String TIMEOUTS = "{connect: 1s, first_byte: 1s, between_chunks: 1s, total: 30s}";
    private static final Map<String, FaultyUpstream> UP = new LinkedHashMap<>();
    private static RoutingGateway gateway;

    private static String model(String id, FaultyUpstream.Script script, String extra) throws Exception {
        FaultyUpstream u = new FaultyUpstream(script);
        UP.put(id, u);
        return """
                  - id: %1$s
                    upstream:
                      timeouts: %2$s
                      targets: [{name: %1$s-t, url: "%3$s", model: upstream-name}]
                %4$s
                """.formatted(id, TIMEOUTS, u.url(), extra.isEmpty() ? "" : "      " + extra);
    }

    @BeforeAll
    static void start() throws Exception {
        String big = "y".repeat(1_500_000);
        String huge = "z".repeat(20_000_001);
        String models = model("fin-cut", (s, out, body) -> {
            head(out, 200, "text/event-stream"); // no length, no chunking: the body ends when the connection does
            out.write((chunk("Hel") + chunk("lo")).getBytes(StandardCharsets.UTF_8));
            out.flush();
            Thread.sleep(30);
        }, "")
                + model("comments", (s, out, body) -> {
                    FaultyUpstream.streamHead(out);
                    commentsEvery(200).answer(s, out, body);
                }, "")
                + model("comments-mid", twoChunksThen(commentsEvery(200)), "")
                + model("steady", endless(4, 200), "timeouts: {first_byte: 1s, between_chunks: 1s, total: 2s}")
                + model("flood", endless(32 * 1024, 0), "limits: {max_response_size: 512MiB}")
                + model("slow-json", (s, out, body) -> {
                    byte[] b = COMPLETION.replace("Hi there", big).getBytes(StandardCharsets.UTF_8);
                    head(out, 200, "application/json", "content-length: " + b.length);
                    for (int i = 0; i < b.length; i += 100_000) {
                        out.write(b, i, Math.min(100_000, b.length - i));
                        out.flush();
                        Thread.sleep(100); // about 1 MB/s: 1.5 s in all, past the 1 s between-chunks timeout
                    }
                }, "")
                + model("huge-string", (s, out, body) -> json(out, 200, COMPLETION.replace("Hi there", huge)), "")
                + model("endless", endless(4, 0), "")
                + model("endless-bytes", endless(1000, 0), "limits: {max_response_size: 256KiB}")
                + model("json-for-stream", (s, out, body) -> json(out, 200, COMPLETION), "")
                + model("renamed", ok(), "");
        gateway = RoutingGateway.start(models, "{slow_client: 1500ms}");
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        for (FaultyUpstream u : UP.values()) {
            u.close();
        }
    }

    private static HttpResponse<String> stream(String model, String extra) throws Exception {
        return gateway.chat(model, "\"stream\":true" + (extra.isEmpty() ? "" : "," + extra));
    }

    @Test
    void streamEndedByFinWithoutFinishOrDone_endsWithAnErrorAndIsLoggedAsAFailure() throws Exception {
        HttpResponse<String> r = stream("fin-cut", "");

        assertThat(r.body()).contains("\"content\":\"lo\"").contains("\"code\":\"upstream_truncated\"")
                .doesNotContain("data: [DONE]");
        assertThat(gateway.awaitCounter(1, "fairlane.requests", "model", "fin-cut", "status", "502")).isEqualTo(1);
    }

    @Test
    void keepAliveCommentsOnly_areNotAFirstByte() throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> r = stream("comments", "");
        Duration took = Duration.ofNanos(System.nanoTime() - t0);

        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(took).isBetween(Duration.ofMillis(900), Duration.ofSeconds(4));
    }

    @Test
    void keepAliveCommentsMidStream_areNotProgress() throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> r = stream("comments-mid", "");
        Duration took = Duration.ofNanos(System.nanoTime() - t0);

        assertThat(r.body()).contains("\"content\":\"lo\"").contains("\"code\":\"timeout\"").doesNotContain("data: [DONE]");
        assertThat(took).isBetween(Duration.ofMillis(900), Duration.ofSeconds(4));
    }

    @Test
    void steadyStreamPastItsTotalDeadline_endsWithATimeout() throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> r = stream("steady", "");
        Duration took = Duration.ofNanos(System.nanoTime() - t0);

        assertThat(r.body()).contains("\"code\":\"timeout\"").doesNotContain("data: [DONE]");
        assertThat(took).isBetween(Duration.ofMillis(1900), Duration.ofSeconds(5));
    }

    @Test
    void clientThatStopsReading_isCutOffAsSlowAndLeavesTheUpstreamsHealthAlone() throws Exception {
        try (Socket client = new Socket()) {
            client.setReceiveBufferSize(4096);
            client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), gateway.port()));
            client.setSoTimeout(15_000);
            String body = RoutingGateway.body("flood", "\"stream\":true");
            OutputStream out = client.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + RoutingGateway.KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = client.getInputStream();
            assertThat(new String(in.readNBytes(12), StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
            long t0 = System.nanoTime();
            // Read nothing more until the gateway gives up on this client.
            assertThat(gateway.awaitCounter(1, "fairlane.upstream.requests", "target", "flood-t", "outcome",
                    "slow_client")).isEqualTo(1);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(8));
        }

        assertThat(gateway.counter("fairlane.upstream.requests", "target", "flood-t", "outcome", "timeout")).isZero();
        assertThat(gateway.gauge("fairlane.upstream.healthy", "target", "flood-t")).isEqualTo(1);
        assertThat(gateway.gateway().router("flood").orElseThrow().snapshot().groups().getFirst().targets()
                .getFirst().consecutiveFailures()).isZero();
    }

    @Test
    void slowButSteadyJsonBody_isNotCutByTheBetweenChunksTimeout() throws Exception {
        HttpResponse<String> r = gateway.chat("slow-json", "");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(r.body()).at("/choices/0/message/content").asText()).hasSize(1_500_000);
    }

    @Test
    void jsonAnswerWithA20MbString_passes() throws Exception {
        HttpResponse<String> r = gateway.chat("huge-string", "");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body().length()).isGreaterThan(20_000_000);
    }

    @Test
    void endlessStreamForSixteenTokens_isCutOffWithAClearError() throws Exception {
        HttpResponse<String> r = stream("endless", "\"max_tokens\":16");

        assertThat(r.body()).contains("\"code\":\"upstream_output_limit\"").doesNotContain("data: [DONE]");
        assertThat(r.body().split("\"content\":").length - 1).isLessThanOrEqualTo(100);
    }

    @Test
    void endlessStreamWithoutATokenLimit_isCutOffAtTheByteLimit() throws Exception {
        HttpResponse<String> r = stream("endless-bytes", "");

        assertThat(r.body()).contains("\"code\":\"upstream_output_limit\"").doesNotContain("data: [DONE]");
        assertThat(r.body().length()).isLessThan(1024 * 1024);
    }

    @Test
    void jsonAnswerToAStreamRequest_becomesAStream() throws Exception {
        HttpResponse<String> r = stream("json-for-stream", "\"stream_options\":{\"include_usage\":true}");

        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        assertThat(r.body()).contains("\"content\":\"Hi there\"").contains("\"finish_reason\":\"stop\"")
                .contains("\"completion_tokens\":2").endsWith("data: [DONE]\n\n");
    }

    @Test
    void renamedModel_jsonAnswerCarriesTheNameTheClientAskedFor() throws Exception {
        HttpResponse<String> r = gateway.chat("renamed", "");

        assertThat(Json.MAPPER.readTree(r.body()).path("model").asText()).isEqualTo("renamed");
        assertThat(UP.get("renamed").bodies().getLast()).contains("\"model\":\"upstream-name\"");
    }

    @Test
    void renamedModel_everyStreamChunkCarriesTheNameTheClientAskedFor() throws Exception {
        HttpResponse<String> r = stream("renamed", "\"stream_options\":{\"include_usage\":true}");

        int chunks = 0;
        for (String line : r.body().split("\n")) {
            if (line.startsWith("data: {")) {
                JsonNode c = Json.MAPPER.readTree(line.substring(6));
                assertThat(c.path("model").asText()).isEqualTo("renamed");
                chunks++;
            }
        }
        assertThat(chunks).isEqualTo(4);
    }
}
