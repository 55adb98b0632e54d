package io.fairlane.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.testing.FaultyUpstream;
import io.fairlane.gateway.testing.RoutingGateway;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code GET /admin/routing}: live target state for admins only, and clear errors for bad queries. */
class RoutingApiTest {

    private static FaultyUpstream up;
    private static FaultyUpstream down;
    private static RoutingGateway gateway;

    @BeforeAll
    static void start() throws Exception {
        up = new FaultyUpstream();
        down = new FaultyUpstream(FaultyUpstream.resetBeforeHead());
        gateway = RoutingGateway.start("""
                  - id: m
                    upstream:
                      breaker: {consecutive_failures: 1}
                      groups:
                        - {name: primary, targets: [{name: down, url: "%s"}]}
                        - {name: fallback, targets: [{name: up, url: "%s", weight: 2}]}
                """.formatted(down.url(), up.url()), "{slow_client: 5s}");
        gateway.chat("m", "");
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        up.close();
        down.close();
    }

    @Test
    void routing_showsEachTargetsLiveState() throws Exception {
        HttpResponse<String> r = gateway.get("/admin/routing", RoutingGateway.ADMIN_KEY);
        JsonNode model = Json.MAPPER.readTree(r.body()).path("data").path(0);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(model.path("model").asText()).isEqualTo("m");
        assertThat(model.at("/groups/0/targets/0/state").asText()).isEqualTo("ejected");
        assertThat(model.at("/groups/0/targets/0/ejected_for_ms").asLong()).isPositive();
        assertThat(model.at("/groups/1/targets/0/state").asText()).isEqualTo("serving");
        assertThat(model.at("/groups/1/targets/0/weight").asInt()).isEqualTo(2);
    }

    @Test
    void explain_printsTheDecisionPath() throws Exception {
        HttpResponse<String> r = gateway.get("/admin/routing?model=m&explain=true", RoutingGateway.ADMIN_KEY);

        assertThat(r.body()).contains("group 1 'primary'").contains("EJECTED")
                .contains("decision for a request now: target up in group 'fallback'");
    }

    @Test
    void tenantKey_isForbidden() throws Exception {
        assertThat(gateway.get("/admin/routing", RoutingGateway.KEY).statusCode()).isEqualTo(403);
    }

    @Test
    void unknownModel_is404AndTheNextRequestSucceeds() throws Exception {
        HttpResponse<String> r = gateway.get("/admin/routing?model=nope", RoutingGateway.ADMIN_KEY);

        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(Json.MAPPER.readTree(r.body()).at("/error/param").asText()).isEqualTo("model");
        assertThat(gateway.get("/admin/routing", RoutingGateway.ADMIN_KEY).statusCode()).isEqualTo(200);
    }

    @Test
    void unknownParameter_is400() throws Exception {
        HttpResponse<String> r = gateway.get("/admin/routing?verbose=1", RoutingGateway.ADMIN_KEY);

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(Json.MAPPER.readTree(r.body()).at("/error/code").asText()).isEqualTo("unknown_parameter");
    }
}
