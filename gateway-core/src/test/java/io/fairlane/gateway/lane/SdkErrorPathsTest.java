package io.fairlane.gateway.lane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.errors.NotFoundException;
import com.openai.errors.RateLimitException;
import com.openai.errors.SseException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.TestGateway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every error the gateway itself answers, as the official Java SDK in strict mode sees it: each must
 * arrive as the SDK's typed exception for its status, with the OpenAI error fields the SDK reads.
 * (Errors passed through from an upstream are in {@code lane.upstream.UpstreamProxyTest}.)
 */
@ExtendWith(GatewayExtension.class)
class SdkErrorPathsTest {

    private static ChatCompletionCreateParams.Builder chat(String model, String user) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("hello").user(user);
    }

    @Test
    void wrongApiKey_throwsUnauthorizedWithInvalidApiKey(TestGateway g) {
        assertThatThrownBy(() -> g.client("sk-not-a-tenant").models().list())
                .isInstanceOfSatisfying(UnauthorizedException.class,
                        e -> assertThat(e.code()).contains("invalid_api_key"));
    }

    @Test
    void invalidParameter_throwsBadRequestNamingTheParam(TestGateway g) {
        assertThatThrownBy(() -> g.client().chat().completions().create(chat("gpt-stub", "plain").n(0).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.param()).contains("n"));
    }

    @Test
    void unknownModel_throwsNotFoundWithModelNotFound(TestGateway g) {
        assertThatThrownBy(() -> g.client().chat().completions().create(chat("no-such-model", "plain").build()))
                .isInstanceOfSatisfying(NotFoundException.class,
                        e -> assertThat(e.code()).contains("model_not_found"));
    }

    @Test
    void requestOverTheTokenLimit_throwsRateLimitWithInsufficientQuota(TestGateway g) {
        assertThatThrownBy(() -> g.client(TestGateway.SMALL_KEY).chat().completions()
                .create(chat("gpt-stub", "plain").maxCompletionTokens(100_000).build()))
                .isInstanceOfSatisfying(RateLimitException.class,
                        e -> assertThat(e.code()).contains("insufficient_quota"));
    }

    @Test
    void unreachableUpstream_throwsInternalServer503(TestGateway g) {
        assertThatThrownBy(() -> g.client().chat().completions().create(chat("gpt-down", "plain").build()))
                .isInstanceOfSatisfying(InternalServerException.class, e -> assertThat(e.statusCode()).isEqualTo(503));
    }

    @Test
    void upstreamResetBeforeItsHead_throwsInternalServer502(TestGateway g) {
        assertThatThrownBy(() -> g.client().chat().completions().create(chat("raw", "reset-before-head").build()))
                .isInstanceOfSatisfying(InternalServerException.class, e -> assertThat(e.statusCode()).isEqualTo(502));
    }

    @Test
    void upstreamSilent_throwsInternalServer504(TestGateway g) {
        assertThatThrownBy(() -> g.client().chat().completions().create(chat("raw", "hang").build()))
                .isInstanceOfSatisfying(InternalServerException.class, e -> assertThat(e.statusCode()).isEqualTo(504));
    }

    @Test
    void upstreamResetMidStream_throwsSseExceptionAfterTheFirstChunks(TestGateway g) {
        int[] chunks = new int[1];
        assertThatThrownBy(() -> {
            try (StreamResponse<ChatCompletionChunk> s = g.client().chat().completions()
                    .createStreaming(chat("raw", "reset-mid-stream").build())) {
                s.stream().forEach(c -> chunks[0]++);
            }
        }).isInstanceOf(SseException.class);
        assertThat(chunks[0]).as("chunks before the error event").isPositive();
    }

    @Test
    void upstreamResetMidStream_theClientsNextRequestSucceeds(TestGateway g) {
        try (StreamResponse<ChatCompletionChunk> s = g.client().chat().completions()
                .createStreaming(chat("raw", "reset-mid-stream").build())) {
            s.stream().forEach(c -> { });
        } catch (SseException expected) {
            // the failed stream; what matters is the pooled connection it leaves behind
        }
        assertThat(g.client().chat().completions().create(chat("gpt-stub", "plain").build()).choices()).hasSize(1);
    }
}
