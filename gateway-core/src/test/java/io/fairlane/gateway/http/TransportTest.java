package io.fairlane.gateway.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigError;
import io.fairlane.gateway.config.ConfigException;
import io.fairlane.gateway.config.ConfigLoader;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gateway serves the same on each socket transport: {@code server.transport} picks one, a transport the host
 * lacks falls back to the next best, and a proxied answer and a proxied stream come through whole on each.
 */
class TransportTest {

    private static final String KEY = "sk-transport";
    private static final String ANSWER = "{\"id\":\"chatcmpl-t\",\"object\":\"chat.completion\",\"created\":1,"
            + "\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hello\","
            + "\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}";
    private static WireMockServer upstream;
    @TempDir
    static Path home;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startUpstream() {
        upstream = new WireMockServer(options().dynamicPort());
        upstream.start();
        StringBuilder stream = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            stream.append("data: {\"id\":\"chatcmpl-t\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                    + "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"t").append(i)
                    .append("\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n");
        }
        stream.append("data: {\"id\":\"chatcmpl-t\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}\n\n"
                + "data: {\"id\":\"chatcmpl-t\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                + "\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":50,\"total_tokens\":53}}\n\n"
                + "data: [DONE]\n\n");
        upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).atPriority(2).willReturn(aResponse()
                .withHeader("Content-Type", "application/json").withBody(ANSWER)));
        upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).atPriority(1)
                .withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.containing("\"stream\":true"))
                .willReturn(aResponse().withHeader("Content-Type", "text/event-stream").withBody(stream.toString())));
    }

    @AfterAll
    static void stopUpstream() {
        upstream.stop();
    }

    private static String config(String transport) {
        return """
                server: {host: 127.0.0.1, port: 0, event_loops: 2, transport: %s}
                tenants:
                  - id: t
                    api_keys: ["%s"]
                models:
                  - id: m
                    upstream: {url: "http://127.0.0.1:%d/v1"}
                """.formatted(transport, ApiKeyHash.of(KEY), upstream.port());
    }

    private static boolean available(String name) {
        return switch (name) {
            case "io_uring" -> IoUring.isAvailable();
            case "epoll" -> Epoll.isAvailable();
            default -> true;
        };
    }

    @Test
    void auto_takesTheBestTheHostOffers() {
        String best = IoUring.isAvailable() ? "io_uring" : Epoll.isAvailable() ? "epoll" : "nio";
        assertThat(Transport.detect("auto").name()).isEqualTo(best);
        assertThat(Transport.detect("nio").name()).isEqualTo("nio");
    }

    @Test
    void aTransportTheHostLacks_fallsBackToTheNextBest() {
        assumeThat(IoUring.isAvailable()).as("falling back needs a host without io_uring").isFalse();
        assertThat(Transport.detect("io_uring").name()).isEqualTo(Epoll.isAvailable() ? "epoll" : "nio");
    }

    @Test
    void anUnknownTransport_isAConfigurationError() {
        ConfigLoader loader = new ConfigLoader(Map.of("HOME", home.toString()));
        List<ConfigError> errors;
        try {
            loader.parse(config("kqueue"), "test");
            throw new AssertionError("expected the configuration to be refused");
        } catch (ConfigException e) {
            errors = e.errors();
        }
        assertThat(errors).extracting(ConfigError::path).containsExactly("server.transport");
        assertThat(errors.getFirst().message()).contains("io_uring", "epoll", "nio", "kqueue");
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    void answersAndStreams_comeThroughWholeOnEachTransport(String transport) throws Exception {
        assumeThat(available(transport)).as(transport + " is not available on this host").isTrue();
        ConfigLoader loader = new ConfigLoader(Map.of("HOME", home.toString()));
        try (Gateway g = Gateway.start(loader.parse(config(transport), "test"), (m, t, s) -> {
            throw new UnsupportedOperationException("no engine in this test");
        })) {
            assertThat(g.transportName()).isEqualTo(transport);
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> json = chat(g, "");
                assertThat(json.statusCode()).isEqualTo(200);
                assertThat(json.body()).contains("\"content\":\"hello\"", "\"service_tier\":\"default\"");
                HttpResponse<String> sse = chat(g, "\"stream\":true,");
                assertThat(sse.statusCode()).isEqualTo(200);
                assertThat(sse.body()).contains("\"t0\"", "\"t49\"", "\"finish_reason\":\"stop\"")
                        .endsWith("data: [DONE]\n\n");
            }
            HttpResponse<String> bad = send(g, "{\"model\":\"m\",\"messages\":\"hi\"}");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(bad.body()).contains("\"param\":\"messages\"");
            assertThat(chat(g, "").statusCode()).isEqualTo(200);
        }
    }

    private HttpResponse<String> chat(Gateway g, String extra) throws Exception {
        return send(g, "{\"model\":\"m\"," + extra + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    }

    private HttpResponse<String> send(Gateway g, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
