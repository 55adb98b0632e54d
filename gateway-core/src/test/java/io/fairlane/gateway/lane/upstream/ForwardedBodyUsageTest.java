package io.fairlane.gateway.lane.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.TestGateway;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A stream's request asks its upstream for usage ({@code stream_options.include_usage}) whatever the client sent,
 * with every other field as the client sent it and {@code stream_options} stated once: written in front of the
 * client's bytes when the client sent none, otherwise through the parsed tree.
 */
@ExtendWith(GatewayExtension.class)
class ForwardedBodyUsageTest {

    private static byte[] spliced(String body) {
        return ForwardedBody.withUsageAsked(Unpooled.wrappedBuffer(body.getBytes(StandardCharsets.UTF_8)));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"stream\":true,\"model\":\"m\"}",
            "  \r\n\t{\"stream\":true, \"messages\":[{\"role\":\"user\",\"content\":\"h\\u00e9 \\\"x\\\"\"}]}\n",
            "{ \"stream\" : true }"})
    void splicedBody_isTheClientsWithUsageAsked(String body) throws Exception {
        JsonNode out = Json.MAPPER.readTree(spliced(body));
        JsonNode in = Json.MAPPER.readTree(body);

        assertThat(out.path("stream_options").path("include_usage").asBoolean()).isTrue();
        assertThat(out.size()).isEqualTo(in.size() + 1);
        in.properties().forEach(e -> assertThat(out.get(e.getKey())).isEqualTo(e.getValue()));
    }

    @Test
    void bodyNotStartingWithABrace_isNotSpliced() {
        assertThat(spliced("[1]")).isNull();
        assertThat(spliced("   ")).isNull();
        assertThat(spliced("\uFEFF{\"stream\":true}")).isNull();
    }

    private static JsonNode forwarded(TestGateway g, String streamOptions) throws Exception {
        g.post("/v1/chat/completions", "{\"model\":\"raw\",\"stream\":true,\"user\":\"no-script\"," + streamOptions
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"x_custom\":{\"kept\":[1,2.5,null]}}");
        String sent = g.scripted().lastBody();
        assertThat(sent.split("\"stream_options\"", -1)).as(sent).hasSize(2);
        JsonNode tree = Json.MAPPER.readTree(sent);
        assertThat(tree.path("x_custom")).isEqualTo(Json.MAPPER.readTree("{\"kept\":[1,2.5,null]}"));
        assertThat(tree.path("model").asText()).isEqualTo("raw");
        return tree.path("stream_options");
    }

    @Test
    void noStreamOptions_upstreamIsAskedForUsage(TestGateway g) throws Exception {
        assertThat(forwarded(g, "").path("include_usage").asBoolean()).isTrue();
    }

    @Test
    void nullStreamOptions_isReplacedNotRepeated(TestGateway g) throws Exception {
        assertThat(forwarded(g, "\"stream_options\":null,").path("include_usage").asBoolean()).isTrue();
    }

    @Test
    void usageDeclined_isAskedForAnywayWithTheClientsOtherOptions(TestGateway g) throws Exception {
        JsonNode options = forwarded(g, "\"stream_options\":{\"include_usage\":false,\"x_more\":1},");

        assertThat(options.path("include_usage").asBoolean()).isTrue();
        assertThat(options.path("x_more").asInt()).isEqualTo(1);
    }
}
