package io.fairlane.gateway.lane.upstream;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.http.PreparationPool;
import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.TestGateway;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Bodies too large to parse or rewrite on the event loop (they go through the preparation pool) reach the upstream
 * as small ones do: the target's model name, every field of the client's kept.
 */
@ExtendWith(GatewayExtension.class)
class LargeForwardedBodyTest {

    private static String largeChat(String model, String padding) {
        return "{\"model\":\"" + model + "\",\"user\":\"plain\",\"x_padding\":\"" + padding + "\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    private static String padding(char c) {
        return String.valueOf(c).repeat(PreparationPool.PARSE_INLINE_LIMIT + 10);
    }

    @Test
    void largeBody_toARenamingTarget_isAnswered(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post("/v1/chat/completions", largeChat("gpt-stub", padding('a')));

        assertThat(r.statusCode()).isEqualTo(200);
    }

    @Test
    void largeBody_toARenamingTarget_arrivesRenamedWithEveryField(TestGateway g) throws Exception {
        String padding = padding('b');
        g.post("/v1/chat/completions", largeChat("gpt-stub", padding));

        g.wireMock().verify(postRequestedFor(urlEqualTo("/v1/chat/completions"))
                .withRequestBody(matchingJsonPath("$.x_padding", equalTo(padding)))
                .withRequestBody(matchingJsonPath("$.model", equalTo("gpt-4o-2024-08-06"))));
    }

    @Test
    void largeBody_failingOverToARenamingTarget_arrivesRenamed(TestGateway g) throws Exception {
        String padding = padding('c');
        HttpResponse<String> r = g.post("/v1/chat/completions", largeChat("gpt-failover", padding));

        assertThat(r.statusCode()).isEqualTo(200);
        g.wireMock().verify(postRequestedFor(urlEqualTo("/v1/chat/completions"))
                .withRequestBody(matchingJsonPath("$.x_padding", equalTo(padding)))
                .withRequestBody(matchingJsonPath("$.model", equalTo("gpt-4o-2024-08-06"))));
    }
}
