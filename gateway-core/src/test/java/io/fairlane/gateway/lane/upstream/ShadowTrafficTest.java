package io.fairlane.gateway.lane.upstream;

import static io.fairlane.gateway.testing.FaultyUpstream.ok;
import static io.fairlane.gateway.testing.FaultyUpstream.silent;
import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.testing.FaultyUpstream;
import io.fairlane.gateway.testing.RoutingGateway;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Shadow traffic: mirrored off the client's path, compared, and never in the way of the primary answer. */
class ShadowTrafficTest {

    private static FaultyUpstream primary;
    private static FaultyUpstream agreeing;
    private static FaultyUpstream silentShadow;
    private static FaultyUpstream differing;
    private static RoutingGateway gateway;

    @BeforeAll
    static void start() throws Exception {
        primary = new FaultyUpstream(ok());
        agreeing = new FaultyUpstream(ok());
        silentShadow = new FaultyUpstream(silent());
        differing = new FaultyUpstream((s, out, body) -> FaultyUpstream.json(out, 200,
                FaultyUpstream.COMPLETION.replace("\"stop\"", "\"length\"")));
        String models = """
                  - id: sampled
                    upstream:
                      targets: [{name: sampled-p, url: "%1$s"}]
                      shadow: {name: sampled-shadow, url: "%2$s", model: candidate, sample_rate: 1.0}
                  - id: opted-in
                    upstream:
                      targets: [{name: opted-p, url: "%1$s"}]
                      shadow: {name: opted-shadow, url: "%2$s", tenants: [demo]}
                  - id: slow-shadow
                    upstream:
                      targets: [{name: slow-p, url: "%1$s"}]
                      shadow: {name: slow-shadow-s, url: "%3$s", sample_rate: 1.0,
                               timeouts: {first_byte: 1s}}
                  - id: differs
                    upstream:
                      targets: [{name: differs-p, url: "%1$s"}]
                      shadow: {name: differs-s, url: "%4$s", sample_rate: 1.0}
                """.formatted(primary.url(), agreeing.url(), silentShadow.url(), differing.url());
        gateway = RoutingGateway.start(models, "{slow_client: 5s}");
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        for (FaultyUpstream u : new FaultyUpstream[] {primary, agreeing, silentShadow, differing}) {
            u.close();
        }
    }

    @Test
    void sampledRequest_isMirroredUnderTheShadowsModelNameAndCompared() throws Exception {
        HttpResponse<String> r = gateway.chat("sampled", "");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(gateway.awaitCounter(1, "fairlane.shadow.comparisons", "model", "sampled", "field", "status",
                "result", "match")).isEqualTo(1);
        assertThat(gateway.counter("fairlane.shadow.requests", "model", "sampled", "outcome", "ok")).isEqualTo(1);
        assertThat(agreeing.bodies()).anyMatch(b -> b.contains("\"model\":\"candidate\""));
    }

    @Test
    void optedInTenant_isMirroredAndAnotherTenantIsNot() throws Exception {
        gateway.post("/v1/chat/completions", RoutingGateway.body("opted-in", ""), RoutingGateway.KEY + "-other");
        gateway.post("/v1/chat/completions", RoutingGateway.body("opted-in", ""), RoutingGateway.KEY);

        assertThat(gateway.awaitCounter(1, "fairlane.shadow.requests", "model", "opted-in")).isEqualTo(1);
        Thread.sleep(200);
        assertThat(gateway.counter("fairlane.shadow.requests", "model", "opted-in")).isEqualTo(1);
    }

    @Test
    void shadowThatNeverAnswers_changesNeitherThePrimarysLatencyNorItsAnswer() throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> r = gateway.chat("slow-shadow", "");
        Duration took = Duration.ofNanos(System.nanoTime() - t0);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(took).isLessThan(Duration.ofMillis(900));
        assertThat(gateway.awaitCounter(1, "fairlane.shadow.requests", "model", "slow-shadow", "outcome", "timeout"))
                .isEqualTo(1);
    }

    @Test
    void shadowWithAnotherFinishReason_isAMismatch() throws Exception {
        gateway.chat("differs", "");

        assertThat(gateway.awaitCounter(1, "fairlane.shadow.comparisons", "model", "differs", "field",
                "finish_reason", "result", "mismatch")).isEqualTo(1);
    }
}
