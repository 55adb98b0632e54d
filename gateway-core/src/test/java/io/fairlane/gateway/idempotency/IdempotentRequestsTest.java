package io.fairlane.gateway.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code Idempotency-Key} through the running gateway, on the local lane's fake engine. */
@ExtendWith(GatewayExtension.class)
class IdempotentRequestsTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static String chat(String content, String extra) {
        return "{\"model\":\"local-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]"
                + (extra.isEmpty() ? "" : "," + extra) + "}";
    }

    private static HttpResponse<String> post(TestGateway g, String key, String body) throws Exception {
        return g.send(request(g, key, body));
    }

    private static HttpRequest request(TestGateway g, String key, String body) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + TestGateway.DEMO_KEY).header("Content-Type", "application/json")
                .header(IdempotentRequests.HEADER, key).POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private static long generations(TestGateway g, String marker) {
        return g.engine().submitted().stream().filter(r -> r.prompt().text().contains(marker)).count();
    }

    @Test
    void repeat_sameKeyAndBody_returnsTheStoredCompletionWithoutGeneratingAgain(TestGateway g) throws Exception {
        String marker = UUID.randomUUID().toString();
        String key = UUID.randomUUID().toString();
        HttpResponse<String> first = post(g, key, chat(marker, ""));
        HttpResponse<String> second = post(g, key, chat(marker, ""));

        assertThat(List.of(second.body(), generations(g, marker))).containsExactly(first.body(), 1L);
    }

    @Test
    void repeat_isMarkedAsReplayed(TestGateway g) throws Exception {
        String key = UUID.randomUUID().toString();
        post(g, key, chat("marked", ""));

        assertThat(post(g, key, chat("marked", "")).headers().firstValue(IdempotentRequests.REPLAYED_HEADER))
                .hasValue("true");
    }

    @Test
    void repeat_sameKeyOtherBody_answers400NotTheStoredResponse(TestGateway g) throws Exception {
        String key = UUID.randomUUID().toString();
        post(g, key, chat("first body", ""));
        HttpResponse<String> other = post(g, key, chat("second body", ""));
        JsonNode error = Json.MAPPER.readTree(other.body()).get("error");

        assertThat(other.statusCode() + " " + error.get("code").asText()).isEqualTo("400 idempotency_key_reused");
    }

    @Test
    void repeat_sameKeyFromAnotherTenant_runsOnItsOwn(TestGateway g) throws Exception {
        String marker = UUID.randomUUID().toString();
        String key = UUID.randomUUID().toString();
        post(g, key, chat(marker, ""));
        HttpRequest other = HttpRequest.newBuilder(request(g, key, chat(marker, "")), (n, v) -> !n.equals("Authorization"))
                .header("Authorization", "Bearer " + TestGateway.SMALL_KEY).build();
        g.send(other);

        assertThat(generations(g, marker)).isEqualTo(2);
    }

    @Test
    void repeat_ofAStream_replaysTheSameEvents(TestGateway g) throws Exception {
        String key = UUID.randomUUID().toString();
        String body = chat("stream me", "\"stream\":true");
        HttpResponse<String> first = post(g, key, body);

        assertThat(post(g, key, body).body()).isEqualTo(first.body()).endsWith("data: [DONE]\n\n");
    }

    @Test
    void repeat_whileTheFirstAttemptRuns_waitsForItAndGetsItsResponse(TestGateway g) throws Exception {
        String marker = "[slow] " + UUID.randomUUID();
        String key = UUID.randomUUID().toString();
        String body = chat(marker, "\"max_tokens\":10");
        CompletableFuture<HttpResponse<String>> first = HTTP.sendAsync(request(g, key, body),
                HttpResponse.BodyHandlers.ofString());
        while (generations(g, marker) == 0) {
            Thread.sleep(5);
        }
        HttpResponse<String> second = post(g, key, body);

        assertThat(List.of(second.body(), generations(g, marker))).containsExactly(first.get().body(), 1L);
    }

    @Test
    void repeat_afterAFailedAttempt_runsAgain(TestGateway g) throws Exception {
        String marker = "[fail] " + UUID.randomUUID();
        String key = UUID.randomUUID().toString();
        String body = chat(marker, "\"stream\":true");
        // The failed stream ends by closing its connection: each attempt on a connection of its own.
        for (int attempt = 0; attempt < 2; attempt++) {
            try (HttpClient fresh = HttpClient.newHttpClient()) {
                fresh.send(request(g, key, body), HttpResponse.BodyHandlers.ofString());
            }
        }

        assertThat(generations(g, marker)).isEqualTo(2);
    }

    @Test
    void request_withAnOverlongKey_answers400(TestGateway g) throws Exception {
        assertThat(post(g, "k".repeat(IdempotentRequests.MAX_KEY_LENGTH + 1), chat("hi", "")).statusCode())
                .isEqualTo(400);
    }
}
