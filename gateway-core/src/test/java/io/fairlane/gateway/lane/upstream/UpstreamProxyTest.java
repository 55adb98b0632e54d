package io.fairlane.gateway.lane.upstream;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.RateLimitException;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.models.Model;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.testing.Fixtures;
import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.TestGateway;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The upstream lane through the official Java SDK in strict mode, against WireMock replaying OpenAI's
 * recorded streams (cut into arbitrary chunks) and scripted error answers.
 */
@ExtendWith(GatewayExtension.class)
class UpstreamProxyTest {

    static List<String> captures() {
        return Fixtures.captureNamesOrMissing();
    }

    private static ChatCompletionCreateParams.Builder params(String user) {
        return ChatCompletionCreateParams.builder().model("gpt-stub").addUserMessage("hello").user(user);
    }

    /** What a recorded stream says, reassembled by hand: per choice its content, refusal and tool calls. */
    record Expected(String content, String refusal, List<String[]> toolCalls) {
    }

    static Map<Integer, Expected> expected(String capture) throws Exception {
        Map<Integer, StringBuilder> content = new LinkedHashMap<>();
        Map<Integer, StringBuilder> refusal = new LinkedHashMap<>();
        Map<Integer, Map<Integer, String[]>> calls = new LinkedHashMap<>();
        for (String line : Fixtures.capture(capture).split("\n")) {
            if (!line.startsWith("data: {")) {
                continue;
            }
            for (JsonNode choice : Json.MAPPER.readTree(line.substring(6)).path("choices")) {
                int i = choice.get("index").asInt();
                JsonNode d = choice.path("delta");
                content.computeIfAbsent(i, k -> new StringBuilder()).append(d.path("content").asText(""));
                refusal.computeIfAbsent(i, k -> new StringBuilder()).append(d.path("refusal").asText(""));
                for (JsonNode tc : d.path("tool_calls")) {
                    String[] call = calls.computeIfAbsent(i, k -> new LinkedHashMap<>())
                            .computeIfAbsent(tc.get("index").asInt(), k -> new String[] {"", "", ""});
                    if (tc.has("id")) {
                        call[0] = tc.get("id").asText();
                    }
                    if (tc.path("function").has("name")) {
                        call[1] = tc.path("function").get("name").asText();
                    }
                    call[2] += tc.path("function").path("arguments").asText("");
                }
            }
        }
        Map<Integer, Expected> out = new LinkedHashMap<>();
        for (int i : content.keySet()) {
            out.put(i, new Expected(content.get(i).toString(), refusal.get(i).toString(),
                    new ArrayList<>(calls.getOrDefault(i, Map.of()).values())));
        }
        return out;
    }

    private static ChatCompletion accumulate(OpenAIClient client, ChatCompletionCreateParams params) {
        ChatCompletionAccumulator acc = ChatCompletionAccumulator.create();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params)) {
            s.stream().forEach(acc::accumulate);
        }
        return acc.chatCompletion();
    }

    @ParameterizedTest
    @MethodSource("captures")
    void recordedStream_reassemblesToWhatOpenAiSent(String capture, TestGateway g) throws Exception {
        Map<Integer, Expected> want = expected(capture);
        ChatCompletion c = accumulate(g.client(), params(capture)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build());
        for (var choice : c.choices()) {
            Expected e = want.get((int) choice.index());
            assertThat(choice.message().content().orElse("")).isEqualTo(e.content());
            assertThat(choice.message().refusal().orElse("")).isEqualTo(e.refusal());
            List<ChatCompletionMessageToolCall> calls = choice.message().toolCalls().orElse(List.of());
            assertThat(calls).hasSize(e.toolCalls().size());
            for (int k = 0; k < calls.size(); k++) {
                ChatCompletionMessageFunctionToolCall fn = calls.get(k).asFunction();
                assertThat(new String[] {fn.id(), fn.function().name(), fn.function().arguments()})
                        .containsExactly(e.toolCalls().get(k));
            }
        }
        assertThat(c.choices()).hasSize(want.size());
    }

    @Test
    void streamWithIncludeUsage_endsWithIntegerUsageIncludingCachedTokens(TestGateway g) throws Exception {
        String capture = "chat-stream-01";
        Fixtures.requireCapture(capture);
        ChatCompletion c = accumulate(g.client(), params(capture)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build());
        assertThat(c.usage().orElseThrow().promptTokensDetails().orElseThrow().cachedTokens()).contains(0L);
    }

    @Test
    void streamWithoutIncludeUsage_hasNoUsageChunkAndEndsWithDone(TestGateway g) throws Exception {
        Fixtures.requireCapture("chat-stream-01");
        HttpResponse<String> r = g.post("/v1/chat/completions", "{\"model\":\"gpt-stub\",\"stream\":true,"
                + "\"user\":\"chat-stream-01\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.body()).doesNotContain("\"usage\"").endsWith("data: [DONE]\n\n");
    }

    @Test
    void stream_forwardsIncludeUsageUpstreamToMeterTokens(TestGateway g) throws Exception {
        Fixtures.requireCapture("chat-stream-03");
        g.post("/v1/chat/completions", "{\"model\":\"gpt-stub\",\"stream\":true,\"user\":\"chat-stream-03\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"x_custom_field\":{\"kept\":true}}");
        g.wireMock().verify(postRequestedFor(urlEqualTo("/v1/chat/completions"))
                .withRequestBody(matchingJsonPath("$.user", equalTo("chat-stream-03")))
                .withRequestBody(matchingJsonPath("$.stream_options.include_usage", equalTo("true")))
                .withRequestBody(matchingJsonPath("$.x_custom_field.kept", equalTo("true")))
                .withRequestBody(matchingJsonPath("$.model", equalTo("gpt-4o-2024-08-06"))));
    }

    @Test
    void parallelToolCalls_reassembleWithDistinctIndexes(TestGateway g) throws Exception {
        Fixtures.requireCapture("chat-stream-12");
        ChatCompletion c = accumulate(g.client(), params("chat-stream-12").build());
        List<ChatCompletionMessageToolCall> calls = c.choices().getFirst().message().toolCalls().orElseThrow();
        assertThat(calls.stream().map(t -> t.asFunction().id()).distinct()).hasSize(calls.size()).hasSizeGreaterThan(1);
        for (ChatCompletionMessageToolCall call : calls) {
            assertThat(Json.MAPPER.readTree(call.asFunction().function().arguments()).isObject()).isTrue();
        }
    }

    @Test
    void singleToolCall_reassemblesWithFinishReasonToolCalls(TestGateway g) throws Exception {
        Fixtures.requireCapture("chat-stream-02");
        ChatCompletion c = accumulate(g.client(), params("chat-stream-02").build());
        assertThat(c.choices().getFirst().finishReason().asString()).isEqualTo("tool_calls");
        assertThat(c.choices().getFirst().message().toolCalls().orElseThrow()).hasSize(1);
    }

    @Test
    void nonStreaming_passesThroughWithUsageCompleted(TestGateway g) {
        ChatCompletion c = g.client().chat().completions().create(params("plain").build());
        assertThat(c.choices().getFirst().message().content()).contains("Hi there");
        assertThat(c.usage().orElseThrow().promptTokensDetails().orElseThrow().cachedTokens()).contains(0L);
        assertThat(c.usage().orElseThrow().completionTokensDetails().orElseThrow().reasoningTokens()).contains(0L);
    }

    @Test
    void nonStreaming_echoesTheResolvedServiceTier(TestGateway g) {
        ChatCompletion c = g.client().chat().completions().create(params("plain")
                .serviceTier(ChatCompletionCreateParams.ServiceTier.AUTO).build());
        assertThat(c.serviceTier().orElseThrow().asString()).isEqualTo("default");
    }

    @Test
    void tierNotAllowed_answers400(TestGateway g) {
        assertThatThrownBy(() -> g.client(TestGateway.LIMITED_KEY).chat().completions().create(params("plain")
                .serviceTier(ChatCompletionCreateParams.ServiceTier.FLEX).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.param()).contains("service_tier"));
    }

    @Test
    void models_listsEveryConfiguredModel(TestGateway g) {
        List<String> ids = g.client().models().list().data().stream().map(Model::id).toList();
        assertThat(ids).contains("gpt-stub", "gpt-failover", "local-tiny");
    }

    @Test
    void model_retrievesOne(TestGateway g) {
        assertThat(g.client().models().retrieve("gpt-stub").ownedBy()).isEqualTo("upstream");
    }

    @Test
    void unknownModel_isNotFound(TestGateway g) {
        assertThatThrownBy(() -> g.client().models().retrieve("nope")).isInstanceOf(NotFoundException.class);
    }

    @Test
    void upstream400_passesThroughWithParam(TestGateway g) {
        assertThatThrownBy(() -> g.client().chat().completions().create(params("e400").build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.param()).contains("temperature"));
    }

    @Test
    void upstream500_answers500WithRetryAfter(TestGateway g) {
        assertThatThrownBy(() -> g.client().chat().completions().create(params("e500").build()))
                .isInstanceOfSatisfying(InternalServerException.class,
                        e -> assertThat(e.headers().values("retry-after")).isNotEmpty());
    }

    @Test
    void upstream429_answers429KeepingItsRetryAfter(TestGateway g) {
        assertThatThrownBy(() -> g.client().chat().completions().create(params("e429").model("gpt-throttled").build()))
                .isInstanceOfSatisfying(RateLimitException.class,
                        e -> assertThat(e.headers().values("retry-after")).containsExactly("7"));
    }

    @Test
    void upstream401_isOurProblem502(TestGateway g) {
        assertThatThrownBy(() -> g.client().chat().completions().create(params("e401").build()))
                .isInstanceOfSatisfying(OpenAIServiceException.class, e -> assertThat(e.statusCode()).isEqualTo(502));
    }

    @Test
    void deadFirstTarget_failsOverToTheNext(TestGateway g) {
        ChatCompletion c = g.client().chat().completions().create(ChatCompletionCreateParams.builder()
                .model("gpt-failover").addUserMessage("hello").user("plain").build());
        assertThat(c.choices().getFirst().message().content()).contains("Hi there");
    }

    @Test
    void unreachableUpstream_answers503WithRetryAfter(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post("/v1/chat/completions",
                "{\"model\":\"gpt-down\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("retry-after")).isPresent();
    }
}
