package io.fairlane.gateway.lane;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.testing.Fixtures;
import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.TestGateway;
import java.net.http.HttpResponse;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The tier a request was scheduled in comes back in {@code service_tier} on chat responses and on every
 * chunk of a chat stream, from either kind of lane. The demo tenant may use every tier, so {@code auto} (or
 * no tier) resolves to {@code default}, as OpenAI answers; priority is an explicit choice.
 */
@ExtendWith(GatewayExtension.class)
class ServiceTierEchoTest {

    private static String chat(String model, String user, String tier, boolean stream) {
        return "{\"model\":\"" + model + "\",\"user\":\"" + user + "\",\"service_tier\":\"" + tier + "\","
                + "\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    private static long dataEvents(HttpResponse<String> r) {
        return Arrays.stream(r.body().split("\n\n")).filter(e -> e.startsWith("data: {")).count();
    }

    private static long dataEventsWithTier(HttpResponse<String> r, String tier) {
        return Arrays.stream(r.body().split("\n\n")).filter(e -> e.startsWith("data: {"))
                .filter(e -> e.contains("\"service_tier\":\"" + tier + "\"")).count();
    }

    @Test
    void localChat_auto_echoesDefault(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post("/v1/chat/completions", chat("local-tiny", "x", "auto", false));
        assertThat(r.body()).contains("\"service_tier\":\"default\"");
    }

    @Test
    void localChat_priority_echoesPriority(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post("/v1/chat/completions", chat("local-tiny", "x", "priority", false));
        assertThat(r.body()).contains("\"service_tier\":\"priority\"");
    }

    @Test
    void localStream_everyChunkCarriesTheTierUsed(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post("/v1/chat/completions", chat("local-tiny", "x", "flex", true));
        assertThat(dataEventsWithTier(r, "flex")).isEqualTo(dataEvents(r)).isPositive();
    }

    @Test
    void upstreamStreamWithoutTier_everyChunkCarriesTheTierUsed(TestGateway g) throws Exception {
        String capture = Fixtures.captureNamesOrMissing().getFirst();
        Fixtures.requireCapture(capture);
        HttpResponse<String> r = g.post("/v1/chat/completions", chat("gpt-stub", capture, "default", true));
        assertThat(dataEventsWithTier(r, "default")).isEqualTo(dataEvents(r)).isPositive();
    }
}
