package io.fairlane.gateway.lane;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rate limits through the tenant scheduler of an upstream lane: 429 with OpenAI's retry headers,
 * {@code x-ratelimit-*} on every response, {@code insufficient_quota} for requests that can never fit.
 */
@ExtendWith(GatewayExtension.class)
class RateLimitTest {

    private static HttpResponse<String> post(TestGateway g, String key, String body) throws Exception {
        return g.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static final String PLAIN = "{\"model\":\"gpt-stub\",\"user\":\"plain\",\"max_tokens\":10,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @Test
    void requestsPerMinuteExceeded_answers429WithRetryHeaders(TestGateway g) throws Exception {
        HttpResponse<String> last = null;
        for (int i = 0; i < 3; i++) {
            last = post(g, TestGateway.LIMITED_KEY, PLAIN);
        }
        assertThat(last.statusCode()).isEqualTo(429);
        assertThat(last.body()).contains("\"code\":\"rate_limit_exceeded\"");
        assertThat(last.headers().firstValue("retry-after")).isPresent();
        assertThat(last.headers().firstValue("retry-after-ms")).isPresent();
        assertThat(last.headers().firstValue("x-ratelimit-remaining-requests")).contains("0");
    }

    @Test
    void successfulResponse_carriesRateLimitHeaders(TestGateway g) throws Exception {
        HttpResponse<String> r = post(g, TestGateway.SMALL_KEY, PLAIN);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-ratelimit-limit-tokens")).contains("500");
        assertThat(r.headers().firstValue("x-ratelimit-reset-tokens")).isPresent();
    }

    @Test
    void requestLargerThanTheTokenLimit_answersInsufficientQuotaWithoutRetry(TestGateway g) throws Exception {
        HttpResponse<String> r = post(g, TestGateway.SMALL_KEY, "{\"model\":\"gpt-stub\",\"user\":\"plain\","
                + "\"max_tokens\":100000,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(r.body()).contains("insufficient_quota");
        assertThat(r.headers().firstValue("x-should-retry")).contains("false");
    }
}
