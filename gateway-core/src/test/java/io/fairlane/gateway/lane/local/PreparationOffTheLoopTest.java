package io.fairlane.gateway.lane.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.http.PreparationPool;
import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.RawHttp;
import io.fairlane.gateway.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Where the local lane prepares a prompt: small requests on the event loop, large ones in the preparation pool,
 * and a client that leaves while its prompt is being prepared loses nothing (the engine request submitted after it
 * left is aborted; the extension checks that no buffer leaked).
 */
@ExtendWith(GatewayExtension.class)
class PreparationOffTheLoopTest {

    /** A chat whose body is over the inline limit while its prompt stays short: a tool with a long description. */
    private static String largeChat(String content) {
        String description = "x".repeat(PreparationPool.PREPARE_INLINE_LIMIT + 100);
        return "{\"model\":\"local-tiny\",\"max_tokens\":6,\"messages\":[{\"role\":\"user\",\"content\":\"" + content
                + "\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"description\":\""
                + description + "\",\"parameters\":{\"type\":\"object\"}}}]}";
    }

    private static HttpResponse<String> post(TestGateway g, String requestId, String body) throws Exception {
        return g.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + TestGateway.DEMO_KEY).header("x-request-id", requestId)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    @Test
    void chat_smallBody_isSubmittedFromTheEventLoop(TestGateway g) throws Exception {
        post(g, "prep-small-1", "{\"model\":\"local-tiny\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\","
                + "\"content\":\"hi\"}]}");

        assertThat(g.engine().submittedOn("prep-small-1")).startsWith("fairlane-io-");
    }

    @Test
    void chat_largeBody_isSubmittedFromThePreparationPool(TestGateway g) throws Exception {
        post(g, "prep-large-1", largeChat("hello"));

        assertThat(g.engine().submittedOn("prep-large-1")).startsWith("fairlane-prepare-");
    }

    @Test
    void chat_largeBody_answersAsASmallOneDoes(TestGateway g) throws Exception {
        HttpResponse<String> r = post(g, "prep-large-2", largeChat("hello"));

        assertThat(Json.MAPPER.readTree(r.body()).at("/choices/0/message/content").asText())
                .isEqualTo("Hello from the fake engine.");
    }

    @Test
    void chat_largePromptBeyondTheContext_isRefusedWithContextLengthExceeded(TestGateway g) throws Exception {
        HttpResponse<String> r = post(g, "prep-long-1", largeChat("y".repeat(2000)));

        JsonNode error = Json.MAPPER.readTree(r.body()).get("error");
        assertThat(r.statusCode() + " " + error.get("code").asText() + " " + error.get("param").asText())
                .isEqualTo("400 context_length_exceeded messages");
    }

    @Test
    void clientGoneWhilePreparing_abortsTheEngineRequestSubmittedAfterwards(TestGateway g) throws Exception {
        g.engine().holdPrepares();
        String body = largeChat("[hold]");
        try (RawHttp raw = new RawHttp(g.port())) {
            raw.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestGateway.DEMO_KEY
                    + "\r\nx-request-id: prep-gone-1\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length() + "\r\n\r\n" + body);
            assertThat(g.engine().awaitHeld(Duration.ofSeconds(5))).as("the prompt reached prepare").isTrue();
        }
        awaitGone(g);
        g.engine().releaseHeld();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!g.engine().wasAborted("prep-gone-1") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(g.engine().wasAborted("prep-gone-1")).isTrue();
    }

    /** Waits until the gateway has noticed the closed connection (nothing in flight but scrapes). */
    private static void awaitGone(TestGateway g) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (g.gateway().state().inFlight() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }
}
