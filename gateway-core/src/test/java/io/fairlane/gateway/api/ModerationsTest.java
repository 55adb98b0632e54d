package io.fairlane.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.models.moderations.ModerationCreateParams;
import com.openai.models.moderations.ModerationCreateResponse;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.TestGateway;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code /v1/moderations}: forwarded to the upstream model configured for it, or a 404 that says what to add. */
@ExtendWith(GatewayExtension.class)
class ModerationsTest {

    @Test
    void moderation_withTheDefaultModelConfigured_isForwardedUpstream(TestGateway g) throws Exception {
        ModerationCreateResponse r = g.client().moderations().create(ModerationCreateParams.builder()
                .input("I want to hug them.").build());
        assertThat(r.results()).singleElement().satisfies(m -> assertThat(m.flagged()).isFalse());
        assertThat(g.wireMock().findAll(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(
                com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo("/v1/moderations")))).isNotEmpty();
    }

    @Test
    void moderation_ofAModelNobodyConfigured_is404NamingTheConfiguration(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post("/v1/moderations", "{\"model\":\"text-moderation-stable\",\"input\":\"hi\"}");
        assertThat(r.statusCode()).isEqualTo(404);
        JsonNode e = Json.MAPPER.readTree(r.body()).get("error");
        assertThat(e.get("code").asText()).isEqualTo("model_not_found");
        assertThat(e.get("message").asText()).contains("text-moderation-stable").contains("models")
                .contains("upstream");
        assertThat(g.plainChat().statusCode()).isEqualTo(200);
    }

    @Test
    void moderation_ofALocalModel_is404SayingItNeedsAnUpstream(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post("/v1/moderations", "{\"model\":\"local-tiny\",\"input\":\"hi\"}");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(Json.MAPPER.readTree(r.body()).get("error").get("message").asText()).contains("local model");
    }

    @Test
    void moderation_withoutInput_is400NamingIt(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post("/v1/moderations", "{\"model\":\"omni-moderation-latest\"}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(Json.MAPPER.readTree(r.body()).get("error").get("param").asText()).isEqualTo("input");
    }

    @Test
    void moderation_isMeteredUnderItsEndpoint(TestGateway g) throws Exception {
        g.post("/v1/moderations", "{\"input\":[\"a\",\"b\"]}");
        String metrics = g.get("/metrics").body();
        assertThat(metrics).contains("endpoint=\"moderations\"").contains("model=\"omni-moderation-latest\"");
    }
}
