package io.fairlane.gateway.lane.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.core.http.StreamResponse;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import io.fairlane.engine.OutputConstraint;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.RawHttp;
import io.fairlane.gateway.testing.TestGateway;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The local-engine lane against a fake engine: chat, tools, legacy completions, embeddings, aborts. */
@ExtendWith(GatewayExtension.class)
class LocalEngineLaneTest {

    private static final String CHAT = "/v1/chat/completions";

    private static String chat(String content, String extra) {
        return "{\"model\":\"local-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]"
                + (extra.isEmpty() ? "" : "," + extra) + "}";
    }

    private static String toolsJson() {
        return "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":"
                + "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}]";
    }

    /** The JSON of every {@code data:} event but {@code [DONE]}. */
    private static List<JsonNode> events(String body) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            if (block.startsWith("data: {")) {
                out.add(Json.MAPPER.readTree(block.substring(6)));
            }
        }
        return out;
    }

    @Test
    void chat_answersWithTheEnginesTextAndUsage(TestGateway g) {
        ChatCompletion c = g.client().chat().completions().create(ChatCompletionCreateParams.builder()
                .model("local-tiny").addUserMessage("hi").build());
        assertThat(c.choices().getFirst().message().content()).contains("Hello from the fake engine.");
        assertThat(c.usage().orElseThrow().completionTokens()).isEqualTo(6);
        assertThat(c.usage().orElseThrow().promptTokensDetails().orElseThrow().cachedTokens().orElseThrow())
                .isEqualTo(c.usage().orElseThrow().promptTokens() / 2);
    }

    @Test
    void chat_carriesTheModelsFingerprint(TestGateway g) {
        ChatCompletion c = g.client().chat().completions().create(ChatCompletionCreateParams.builder()
                .model("local-tiny").addUserMessage("hi").build());
        assertThat(c.systemFingerprint()).contains("fp_fake0001");
    }

    @Test
    void streamedChat_accumulatesToTheSameText(TestGateway g) {
        ChatCompletionAccumulator acc = ChatCompletionAccumulator.create();
        try (StreamResponse<ChatCompletionChunk> s = g.client().chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model("local-tiny").addUserMessage("hi").build())) {
            s.stream().forEach(acc::accumulate);
        }
        assertThat(acc.chatCompletion().choices().getFirst().message().content()).contains("Hello from the fake engine.");
    }

    @Test
    void stream_followsOpenAisChunkContract(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(CHAT, chat("hi", "\"stream\":true,\"n\":2,\"stream_options\":{\"include_usage\":true}"));
        List<JsonNode> ev = events(r.body());
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        assertThat(ev.getFirst().at("/choices/0/delta/role").asText()).isEqualTo("assistant");
        String id = ev.getFirst().get("id").asText();
        for (JsonNode e : ev) {
            assertThat(e.get("id").asText()).isEqualTo(id);
            assertThat(e.has("created") && e.get("model").asText().equals("local-tiny")).isTrue();
        }
        long finals = ev.stream().filter(e -> !e.at("/choices/0/finish_reason").isMissingNode()
                && !e.at("/choices/0/finish_reason").isNull() && e.at("/choices/0/delta").isEmpty()).count();
        assertThat(finals).as("one final delta {} per choice").isEqualTo(2);
        JsonNode last = ev.getLast();
        assertThat(last.get("choices").isEmpty() && last.at("/usage/completion_tokens").asInt() == 12).isTrue();
        assertThat(r.body()).endsWith("data: [DONE]\n\n");
    }

    @Test
    void streamWithoutIncludeUsage_sendsNoUsage(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(CHAT, chat("hi", "\"stream\":true"));
        assertThat(r.body()).doesNotContain("\"usage\"");
    }

    @Test
    void maxTokensReached_finishesWithLength(TestGateway g) {
        ChatCompletion c = g.client().chat().completions().create(ChatCompletionCreateParams.builder()
                .model("local-tiny").addUserMessage("hi").maxCompletionTokens(2).build());
        assertThat(c.choices().getFirst().finishReason().asString()).isEqualTo("length");
    }

    @Test
    void toolCall_isParsedIntoToolCalls(TestGateway g) throws Exception {
        JsonNode c = Json.MAPPER.readTree(g.post(CHAT, chat("weather [tool]", toolsJson())).body());
        JsonNode msg = c.at("/choices/0/message");
        assertThat(msg.get("content").isNull()).isTrue();
        assertThat(msg.at("/tool_calls/0/function/name").asText()).isEqualTo("get_weather");
        assertThat(Json.MAPPER.readTree(msg.at("/tool_calls/0/function/arguments").asText()).get("city").asText())
                .isEqualTo("Paris");
        assertThat(c.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
    }

    @Test
    void streamedParallelToolCalls_reassembleInTheSdk(TestGateway g) {
        ChatCompletionAccumulator acc = ChatCompletionAccumulator.create();
        ChatCompletionCreateParams p = ChatCompletionCreateParams.builder().model("local-tiny")
                .addUserMessage("weather twice [tools2]")
                .addFunctionTool(com.openai.models.FunctionDefinition.builder().name("get_weather").build()).build();
        try (StreamResponse<ChatCompletionChunk> s = g.client().chat().completions().createStreaming(p)) {
            s.stream().forEach(acc::accumulate);
        }
        List<ChatCompletionMessageToolCall> calls = acc.chatCompletion().choices().getFirst().message().toolCalls()
                .orElseThrow();
        assertThat(calls.stream().map(t -> t.asFunction().function().arguments()).toList())
                .containsExactly("{\"city\":\"Paris\"}", "{\"city\":\"Oslo\"}");
    }

    @Test
    void streamedToolCall_firstDeltaCarriesIdTypeNameAndEmptyArguments(TestGateway g) throws Exception {
        List<JsonNode> ev = events(g.post(CHAT, chat("[tool]", toolsJson() + ",\"stream\":true")).body());
        JsonNode first = ev.stream().filter(e -> e.at("/choices/0/delta/tool_calls").isArray()).findFirst().orElseThrow();
        JsonNode call = first.at("/choices/0/delta/tool_calls/0");
        assertThat(call.get("id").asText()).startsWith("call_");
        assertThat(call.get("type").asText() + call.at("/function/name").asText() + "|" + call.at("/function/arguments").asText())
                .isEqualTo("functionget_weather|");
    }

    @Test
    void toolChoiceNone_leavesTheTextAlone(TestGateway g) throws Exception {
        JsonNode c = Json.MAPPER.readTree(g.post(CHAT, chat("[tool]", toolsJson() + ",\"tool_choice\":\"none\"")).body());
        assertThat(c.at("/choices/0/message/content").asText()).contains("<tool_call>");
    }

    @Test
    void nChoices_areAllAnswered(TestGateway g) {
        ChatCompletion c = g.client().chat().completions().create(ChatCompletionCreateParams.builder()
                .model("local-tiny").addUserMessage("hi").n(3).build());
        assertThat(c.choices()).hasSize(3);
    }

    @Test
    void logprobs_useTheChatShape(TestGateway g) {
        ChatCompletion c = g.client().chat().completions().create(ChatCompletionCreateParams.builder()
                .model("local-tiny").addUserMessage("hi").logprobs(true).topLogprobs(2).build());
        var content = c.choices().getFirst().logprobs().orElseThrow().content().orElseThrow();
        assertThat(content).hasSize(6);
        assertThat(content.getFirst().topLogprobs()).hasSize(2);
    }

    @Test
    void promptTooLong_answersContextLengthExceeded(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(CHAT, chat("x".repeat(600), ""));
        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode e = Json.MAPPER.readTree(r.body()).get("error");
        assertThat(e.get("code").asText() + " " + e.get("param").asText()).isEqualTo("context_length_exceeded messages");
    }

    @Test
    void jsonObjectResponseFormat_asksTheEngineForAJsonObject(TestGateway g) throws Exception {
        JsonNode c = Json.MAPPER.readTree(g.post(CHAT, chat("hi", "\"response_format\":{\"type\":\"json_object\"}"))
                .body());
        assertThat(g.engine().submitted().getLast().sampling().constraint())
                .isEqualTo(OutputConstraint.jsonObject());
        assertThat(Json.MAPPER.readTree(c.at("/choices/0/message/content").asText()).get("answer").asInt()).isEqualTo(42);
    }

    @Test
    void plainChat_leavesTheOutputUnconstrained(TestGateway g) throws Exception {
        g.post(CHAT, chat("hi", toolsJson()));
        assertThat(g.engine().submitted().getLast().sampling().constraint()).isNull();
    }

    private static String twoToolsJson() {
        return "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}},"
                + "{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}}]";
    }

    @Test
    void toolChoiceRequired_constrainsToOneCallOfAnyDeclaredFunction(TestGateway g) throws Exception {
        g.post(CHAT, chat("hi", twoToolsJson() + ",\"tool_choice\":\"required\""));
        assertThat(g.engine().submitted().getLast().sampling().constraint())
                .isEqualTo(OutputConstraint.toolCall(List.of("get_weather", "get_time")));
    }

    @Test
    void toolChoiceAllowedToolsRequired_constrainsToTheListedFunctions(TestGateway g) throws Exception {
        g.post(CHAT, chat("hi", twoToolsJson() + ",\"tool_choice\":{\"type\":\"allowed_tools\",\"allowed_tools\":"
                + "{\"mode\":\"required\",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}}]}}"));
        assertThat(g.engine().submitted().getLast().sampling().constraint())
                .isEqualTo(OutputConstraint.toolCall(List.of("get_time")));
    }

    @Test
    void toolChoiceRequired_answersWithTheCallAndFinishReasonToolCalls(TestGateway g) throws Exception {
        JsonNode c = Json.MAPPER.readTree(g.post(CHAT, chat("hi", twoToolsJson() + ",\"tool_choice\":\"required\""))
                .body());
        JsonNode msg = c.at("/choices/0/message");
        assertThat(List.of(msg.get("content").isNull(), msg.at("/tool_calls/0/id").asText().startsWith("call_"),
                msg.at("/tool_calls/0/type").asText(), msg.at("/tool_calls/0/function/name").asText(),
                msg.at("/tool_calls/0/function/arguments").asText(), c.at("/choices/0/finish_reason").asText()))
                .containsExactly(true, true, "function", "get_time", "{\"city\": \"Paris\"}", "tool_calls");
    }

    @Test
    void toolChoiceNamedFunction_constrainsToThatFunction(TestGateway g) throws Exception {
        ChatCompletion c = g.client().chat().completions().create(ChatCompletionCreateParams.builder()
                .model("local-tiny").addUserMessage("hi")
                .addFunctionTool(com.openai.models.FunctionDefinition.builder().name("get_weather").build())
                .addFunctionTool(com.openai.models.FunctionDefinition.builder().name("get_time").build())
                .toolChoice(com.openai.models.chat.completions.ChatCompletionNamedToolChoice.builder()
                        .function(com.openai.models.chat.completions.ChatCompletionNamedToolChoice.Function.builder()
                                .name("get_weather").build()).build())
                .build());
        assertThat(c.choices().getFirst().message().toolCalls().orElseThrow().getFirst().asFunction().function().name())
                .isEqualTo("get_weather");
    }

    @Test
    void forcedToolCallStreamed_firstDeltaHasIdTypeNameThenArgumentsStreamInPieces(TestGateway g) throws Exception {
        List<JsonNode> ev = events(g.post(CHAT, chat("hi", toolsJson()
                + ",\"tool_choice\":\"required\",\"stream\":true")).body());
        List<JsonNode> calls = ev.stream().filter(e -> e.at("/choices/0/delta/tool_calls").isArray())
                .map(e -> e.at("/choices/0/delta/tool_calls/0")).toList();
        JsonNode first = calls.getFirst();
        assertThat(List.of(first.get("index").asInt(), first.get("id").asText().substring(0, 5), first.get("type").asText(),
                first.at("/function/name").asText(), first.at("/function/arguments").asText()))
                .containsExactly(0, "call_", "function", "get_weather", "");
        StringBuilder args = new StringBuilder();
        calls.stream().skip(1).forEach(d -> args.append(d.at("/function/arguments").asText()));
        assertThat(List.of(calls.size() > 2, args.toString())).containsExactly(true, "{\"city\": \"Paris\"}");
    }

    @Test
    void forcedToolCallStreamed_nChoices_eachEndsWithToolCalls(TestGateway g) throws Exception {
        List<JsonNode> ev = events(g.post(CHAT, chat("hi", toolsJson()
                + ",\"tool_choice\":\"required\",\"stream\":true,\"n\":2")).body());
        List<String> finishes = ev.stream().map(e -> e.at("/choices/0/finish_reason"))
                .filter(f -> f.isTextual()).map(JsonNode::asText).toList();
        assertThat(finishes).containsExactly("tool_calls", "tool_calls");
    }

    @Test
    void forcedToolCallStreamed_reassemblesInTheSdk(TestGateway g) {
        ChatCompletionAccumulator acc = ChatCompletionAccumulator.create();
        ChatCompletionCreateParams p = ChatCompletionCreateParams.builder().model("local-tiny").addUserMessage("hi")
                .addFunctionTool(com.openai.models.FunctionDefinition.builder().name("get_weather").build())
                .toolChoice(com.openai.models.chat.completions.ChatCompletionToolChoiceOption.Auto.REQUIRED).build();
        try (StreamResponse<ChatCompletionChunk> s = g.client().chat().completions().createStreaming(p)) {
            s.stream().forEach(acc::accumulate);
        }
        var call = acc.chatCompletion().choices().getFirst().message().toolCalls().orElseThrow().getFirst().asFunction();
        assertThat(call.function().name() + " " + call.function().arguments())
                .isEqualTo("get_weather {\"city\": \"Paris\"}");
    }

    @Test
    void forcedToolCall_nChoices_eachChoiceHasItsCall(TestGateway g) {
        ChatCompletion c = g.client().chat().completions().create(ChatCompletionCreateParams.builder()
                .model("local-tiny").addUserMessage("hi").n(3)
                .addFunctionTool(com.openai.models.FunctionDefinition.builder().name("get_weather").build())
                .toolChoice(com.openai.models.chat.completions.ChatCompletionToolChoiceOption.Auto.REQUIRED).build());
        assertThat(c.choices()).allSatisfy(ch -> assertThat(ch.message().toolCalls().orElseThrow()).hasSize(1));
    }

    @Test
    void forcedToolCallCutByMaxTokens_keepsThePartialCallAndFinishesWithLength(TestGateway g) throws Exception {
        JsonNode c = Json.MAPPER.readTree(g.post(CHAT, chat("hi", toolsJson()
                + ",\"tool_choice\":\"required\",\"max_tokens\":4")).body());
        assertThat(c.at("/choices/0/message/tool_calls/0/function/arguments").asText() + " "
                + c.at("/choices/0/finish_reason").asText()).isEqualTo("{\"city\": \"Par length");
    }

    @Test
    void forcedToolCallWithIgnoreEos_isRefusedNamingIgnoreEos(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(CHAT, chat("hi", toolsJson()
                + ",\"tool_choice\":\"required\",\"ignore_eos\":true"));
        assertThat(r.statusCode() + " " + Json.MAPPER.readTree(r.body()).at("/error/param").asText())
                .isEqualTo("400 ignore_eos");
    }

    @Test
    void engineFaultMidStream_endsWithErrorEvent(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(CHAT, chat("[fail]", "\"stream\":true"));
        assertThat(r.body()).contains("data: {\"error\":").doesNotContain("[DONE]");
    }

    @Test
    void clientGoneMidStream_abortsTheEngineRequest(TestGateway g) throws Exception {
        String body = chat("[slow]", "\"stream\":true");
        try (RawHttp raw = new RawHttp(g.port())) {
            raw.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestGateway.DEMO_KEY
                    + "\r\nx-request-id: gone-local-1\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length() + "\r\n\r\n" + body);
            assertThat(new String(raw.socket().getInputStream().readNBytes(100))).startsWith("HTTP/1.1 200");
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!g.engine().wasAborted("gone-local-1") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(g.engine().wasAborted("gone-local-1")).isTrue();
    }

    @Test
    void completions_answerEachPromptInOrder(TestGateway g) throws Exception {
        JsonNode c = Json.MAPPER.readTree(g.post("/v1/completions", "{\"model\":\"local-tiny\",\"prompt\":[\"a\",\"b\"],"
                + "\"n\":2,\"max_tokens\":3}").body());
        assertThat(c.get("choices")).hasSize(4);
        assertThat(c.at("/choices/3/index").asInt()).isEqualTo(3);
        assertThat(c.at("/choices/0/text").asText()).isEqualTo("Hello from the");
    }

    @Test
    void completions_throughTheSdk(TestGateway g) {
        Completion c = g.client().completions().create(CompletionCreateParams.builder()
                .model(CompletionCreateParams.Model.of("local-tiny")).prompt("Say hello").maxTokens(6).build());
        assertThat(c.choices().getFirst().text()).isEqualTo("Hello from the fake engine.");
    }

    @Test
    void completionsEcho_prependsThePrompt(TestGateway g) throws Exception {
        JsonNode c = Json.MAPPER.readTree(g.post("/v1/completions", "{\"model\":\"local-tiny\",\"prompt\":\"Q: \","
                + "\"echo\":true,\"max_tokens\":1}").body());
        assertThat(c.at("/choices/0/text").asText()).isEqualTo("Q: Hello");
    }

    @Test
    void completionsLogprobs_useTheLegacyShape(TestGateway g) throws Exception {
        JsonNode c = Json.MAPPER.readTree(g.post("/v1/completions", "{\"model\":\"local-tiny\",\"prompt\":\"x\","
                + "\"logprobs\":1,\"max_tokens\":2}").body());
        JsonNode lp = c.at("/choices/0/logprobs");
        assertThat(lp.get("tokens")).hasSize(2);
        assertThat(lp.get("text_offset").get(1).asInt()).isEqualTo(5);
    }

    @Test
    void completionsTokenIdPrompt_isAccepted(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post("/v1/completions", "{\"model\":\"local-tiny\",\"prompt\":[72,105],\"max_tokens\":1}");
        assertThat(r.statusCode()).isEqualTo(200);
    }

    @Test
    void completionsSuffix_isUnsupported(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post("/v1/completions", "{\"model\":\"local-tiny\",\"prompt\":\"x\",\"suffix\":\"y\"}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("\"param\":\"suffix\"");
    }

    @Test
    void streamedCompletions_endWithDone(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post("/v1/completions", "{\"model\":\"local-tiny\",\"prompt\":\"x\",\"stream\":true}");
        List<JsonNode> ev = events(r.body());
        assertThat(ev.getFirst().get("object").asText()).isEqualTo("text_completion");
        assertThat(r.body()).endsWith("data: [DONE]\n\n");
    }

    @Test
    void embeddings_areUnitVectors(TestGateway g) {
        CreateEmbeddingResponse e = g.client().embeddings().create(EmbeddingCreateParams.builder().model("local-tiny")
                .inputOfArrayOfStrings(List.of("one", "two")).encodingFormat(EmbeddingCreateParams.EncodingFormat.FLOAT)
                .build());
        List<Float> v = e.data().getFirst().embedding();
        double norm = v.stream().mapToDouble(f -> f * f).sum();
        assertThat(e.data()).hasSize(2);
        assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
    }

    @Test
    void base64Embeddings_decodeAsLittleEndianFloats(TestGateway g) throws Exception {
        JsonNode base64 = Json.MAPPER.readTree(g.post("/v1/embeddings", "{\"model\":\"local-tiny\",\"input\":\"abc\","
                + "\"encoding_format\":\"base64\"}").body());
        JsonNode floats = Json.MAPPER.readTree(g.post("/v1/embeddings", "{\"model\":\"local-tiny\",\"input\":\"abc\"}").body());
        ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(base64.at("/data/0/embedding").asText()))
                .order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getFloat(4)).isEqualTo((float) floats.at("/data/0/embedding/1").asDouble());
    }

    @Test
    void embeddingDimensions_truncate(TestGateway g) throws Exception {
        JsonNode e = Json.MAPPER.readTree(g.post("/v1/embeddings", "{\"model\":\"local-tiny\",\"input\":\"abc\","
                + "\"dimensions\":3}").body());
        assertThat(e.at("/data/0/embedding")).hasSize(3);
    }

    @Test
    void emptyEmbeddingInput_answers400(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post("/v1/embeddings", "{\"model\":\"local-tiny\",\"input\":[]}");
        assertThat(r.body()).contains("\"code\":\"empty_array\"");
    }
}
