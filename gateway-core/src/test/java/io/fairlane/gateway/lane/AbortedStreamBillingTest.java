package io.fairlane.gateway.lane;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.LogCapture;
import io.fairlane.gateway.testing.RawHttp;
import io.fairlane.gateway.testing.TestGateway;
import io.micrometer.core.instrument.Counter;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Clients that leave in the middle of a stream are billed for what was generated: the access log, the token
 * counters and {@code /admin/usage} agree with what the engine generated (local lane) or the chunks relayed
 * (upstream lane, whose usage chunk never comes). They used to count 0 completion tokens.
 */
@ExtendWith(GatewayExtension.class)
class AbortedStreamBillingTest {

    private static final Pattern COMPLETION = Pattern.compile("completion_tokens=(\\d+)");

    /** Sends {@code body} to {@code path}, reads until {@code events} data events arrived, then drops the socket. */
    private static void readSomeThenLeave(TestGateway g, String path, String requestId, String key, String body,
                                          int events) throws Exception {
        try (RawHttp raw = new RawHttp(g.port())) {
            raw.write("POST " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key
                    + "\r\nx-request-id: " + requestId + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body);
            InputStream in = raw.socket().getInputStream();
            StringBuilder seen = new StringBuilder();
            byte[] buf = new byte[4096];
            while (count(seen, "data: ") < events) {
                int n = in.read(buf);
                assertThat(n).as("stream ended early: " + seen).isPositive();
                seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            }
            assertThat(seen.toString()).startsWith("HTTP/1.1 200");
        }
    }

    private static int count(CharSequence s, String what) {
        int n = 0;
        for (int i = s.toString().indexOf(what); i >= 0; i = s.toString().indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static double completionTokens(TestGateway g, String tenant, String model) {
        Counter c = g.gateway().registry().find("fairlane.tokens").tags("tenant", tenant, "model", model, "kind",
                "completion").counter();
        return c == null ? 0 : c.count();
    }

    private static long adminCompletion(TestGateway g, String tenant) throws Exception {
        JsonNode body = Json.MAPPER.readTree(g.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port()
                + "/admin/usage?tenant=" + tenant)).header("Authorization", "Bearer " + TestGateway.ADMIN_KEY).GET()
                .build()).body());
        return body.at("/data/0/tokens/completion").asLong();
    }

    /** The access-log line of {@code requestId}, once it is written. */
    private static String accessLine(LogCapture access, String requestId) throws InterruptedException {
        await(() -> access.messages().stream().anyMatch(m -> m.startsWith("rid=" + requestId + " ")));
        return access.messages().stream().filter(m -> m.startsWith("rid=" + requestId + " ")).findFirst()
                .orElseThrow();
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(condition.getAsBoolean()).as("in time").isTrue();
    }

    /** The counters are updated on the event loop right after the access log line: wait for them. */
    private static void awaitCounted(TestGateway g, String tenant, String model, double expected)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (completionTokens(g, tenant, model) < expected && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(completionTokens(g, tenant, model)).isEqualTo(expected);
    }

    private static int completionOf(String accessLine) {
        Matcher m = COMPLETION.matcher(accessLine);
        assertThat(m.find()).isTrue();
        return Integer.parseInt(m.group(1));
    }

    @Test
    void localChatAbortedMidStream_billsEveryTokenTheEngineGenerated(TestGateway g) throws Exception {
        double before = completionTokens(g, "demo", "local-tiny");
        long adminBefore = adminCompletion(g, "demo");
        try (LogCapture access = new LogCapture("fairlane.access")) {
            readSomeThenLeave(g, "/v1/chat/completions", "bill-local-chat", TestGateway.DEMO_KEY,
                    "{\"model\":\"local-tiny\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"[slow]\"}]}",
                    12);
            String line = accessLine(access, "bill-local-chat");
            int generated = g.engine().generated("bill-local-chat");
            assertThat(line).contains("status=499");
            assertThat(generated).isGreaterThanOrEqualTo(10);
            assertThat(completionOf(line)).isEqualTo(generated);
            awaitCounted(g, "demo", "local-tiny", before + generated);
            assertThat(adminCompletion(g, "demo") - adminBefore).isEqualTo(generated);
        }
    }

    @Test
    void localCompletionsOfTwoPromptsAborted_billBothPromptsTokens(TestGateway g) throws Exception {
        double before = completionTokens(g, "demo", "local-tiny");
        try (LogCapture access = new LogCapture("fairlane.access")) {
            readSomeThenLeave(g, "/v1/completions", "bill-local-cmpl", TestGateway.DEMO_KEY,
                    "{\"model\":\"local-tiny\",\"stream\":true,\"prompt\":[\"[slow] a\",\"[slow] b\"]}", 12);
            String line = accessLine(access, "bill-local-cmpl");
            int generated = g.engine().generated("bill-local-cmpl#0") + g.engine().generated("bill-local-cmpl#1");
            assertThat(completionOf(line)).isEqualTo(generated).isGreaterThanOrEqualTo(10);
            awaitCounted(g, "demo", "local-tiny", before + generated);
        }
    }

    @Test
    void upstreamStreamAbortedBeforeItsUsageChunk_billsTheChunksRelayed(TestGateway g) throws Exception {
        double before = completionTokens(g, "demo", "raw");
        try (LogCapture access = new LogCapture("fairlane.access")) {
            readSomeThenLeave(g, "/v1/chat/completions", "bill-upstream", TestGateway.DEMO_KEY,
                    "{\"model\":\"raw\",\"user\":\"slow-stream\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                            + "\"content\":\"hi\"}]}", 10);
            String line = accessLine(access, "bill-upstream");
            assertThat(line).contains("status=499").doesNotContain("prompt_tokens=0");
            assertThat(completionOf(line)).isGreaterThanOrEqualTo(10);
            awaitCounted(g, "demo", "raw", before + completionOf(line));
        }
    }

    @Test
    void upstreamStreamCutByTheUpstream_billsTheChunksRelayed(TestGateway g) throws Exception {
        double before = completionTokens(g, "demo", "raw");
        try (LogCapture access = new LogCapture("fairlane.access")) {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port()
                    + "/v1/chat/completions")).header("Authorization", "Bearer " + TestGateway.DEMO_KEY)
                    .header("x-request-id", "bill-upstream-cut").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"raw\",\"user\":\"reset-mid-stream\","
                            + "\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build();
            assertThat(g.send(request).body()).contains("data: {\"error\":");
            String line = accessLine(access, "bill-upstream-cut");
            assertThat(completionOf(line)).isEqualTo(2);
            awaitCounted(g, "demo", "raw", before + 2);
        }
    }
}
