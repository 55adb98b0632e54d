package io.fairlane.gateway.slo;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.RawHttp;
import io.fairlane.gateway.testing.TestGateway;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The request path reports outcomes to the demo tenant's SLO ({@code ttft <= 250ms for 99%}): failures on
 * our side are bad, the tenant's own errors are not counted, a client that leaves after the threshold is bad.
 */
@ExtendWith(GatewayExtension.class)
class SloThroughGatewayTest {

    private static double events(TestGateway g, String outcome) {
        Counter c = g.gateway().registry().find("fairlane.slo.events")
                .tags("tenant", "demo", "slo", "ttft", "outcome", outcome).counter();
        return c == null ? 0 : c.count();
    }

    private static double clientClosed(TestGateway g) {
        return g.gateway().registry().find("fairlane.requests").tags("tenant", "demo", "status", "499").counters()
                .stream().mapToDouble(Counter::count).sum();
    }

    /** Outcomes are counted when the exchange ends, which may be just after the client saw the response. */
    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    private static String chat(String model, String user, boolean stream) {
        return "{\"model\":\"" + model + "\",\"user\":\"" + user + "\",\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    private static double badAfter(TestGateway g, String body, int expectedStatus) throws Exception {
        double before = events(g, "bad");
        assertThat(g.post("/v1/chat/completions", body).statusCode()).isEqualTo(expectedStatus);
        await(() -> events(g, "bad") > before);
        return events(g, "bad") - before;
    }

    @Test
    void upstream5xx_countsBad(TestGateway g) throws Exception {
        assertThat(badAfter(g, chat("gpt-stub", "e500", false), 500)).isEqualTo(1);
    }

    @Test
    void upstreamsOwn429_countsBad(TestGateway g) throws Exception {
        assertThat(badAfter(g, chat("gpt-throttled-slo", "e429", false), 429)).isEqualTo(1);
    }

    @Test
    void upstreamTimeout_countsBad(TestGateway g) throws Exception {
        assertThat(badAfter(g, chat("raw", "hang", false), 504)).isEqualTo(1);
    }

    @Test
    void streamEndingInAnErrorEvent_countsBad(TestGateway g) throws Exception {
        assertThat(badAfter(g, chat("raw", "reset-mid-stream", true), 200)).isEqualTo(1);
    }

    @Test
    void tenantsInvalidRequest_isNotCounted(TestGateway g) throws Exception {
        double badBefore = events(g, "bad");
        double goodBefore = events(g, "good");
        assertThat(g.post("/v1/chat/completions", chat("gpt-stub", "e400", false)).statusCode()).isEqualTo(400);
        // The next request on the same connection ends on the same event loop, after the first was counted.
        assertThat(g.post("/v1/chat/completions", chat("gpt-stub", "plain", false)).statusCode()).isEqualTo(200);
        await(() -> events(g, "good") + events(g, "bad") > goodBefore + badBefore);
        assertThat(events(g, "bad")).isEqualTo(badBefore);
    }

    @Test
    void clientLeavingAfterTheThresholdWithoutAToken_countsBad(TestGateway g) throws Exception {
        double before = events(g, "bad");
        leaveAfter(g, Duration.ofMillis(400));
        await(() -> events(g, "bad") > before);
        assertThat(events(g, "bad") - before).isEqualTo(1);
    }

    @Test
    void clientLeavingBeforeTheThreshold_isNotCounted(TestGateway g) throws Exception {
        double before = events(g, "bad") + events(g, "good");
        double closed = clientClosed(g);
        leaveAfter(g, Duration.ofMillis(30));
        await(() -> clientClosed(g) > closed);
        assertThat("client closed " + (clientClosed(g) - closed) + ", SLO events " + (events(g, "bad")
                + events(g, "good") - before)).isEqualTo("client closed 1.0, SLO events 0.0");
    }

    /** Sends a stream request to an upstream that never answers and closes the connection after {@code wait}. */
    private static void leaveAfter(TestGateway g, Duration wait) throws Exception {
        try (RawHttp raw = new RawHttp(g.port())) {
            String body = chat("raw", "hang", true);
            raw.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestGateway.DEMO_KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            Thread.sleep(wait.toMillis());
        }
    }
}
