package io.fairlane.gateway.lane.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.ReasoningEffort;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.OutputConstraint;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.TestGateway;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Chat completions on a local model with JSON-Schema structured outputs (response_format json_schema, strict tools)
 * and a thinking model's reasoning apart from its answer, through the shared gateway's fake engine (which compiles
 * schemas as the real engine does at submission).
 */
@ExtendWith(GatewayExtension.class)
class ChatStructuredOutputsAndReasoningTest {

    private static final String CHAT = "/v1/chat/completions";
    private static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
            + "\"required\":[\"city\"],\"additionalProperties\":false}";

    private static String chat(String content, String extra) {
        return "{\"model\":\"local-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]"
                + (extra.isEmpty() ? "" : "," + extra) + "}";
    }

    private static GenerationRequest submitted(TestGateway g, String marker) {
        return g.engine().submitted().stream().filter(s -> s.prompt().text().contains(marker)).findFirst()
                .orElseThrow();
    }

    private static JsonNode error(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body()).path("error");
    }

    @Test
    void jsonSchemaResponseFormat_isEnforcedByTheEngine(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(CHAT, chat("[js-probe]", "\"response_format\":{\"type\":\"json_schema\","
                + "\"json_schema\":{\"name\":\"place\",\"strict\":true,\"schema\":" + SCHEMA + "}}"));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(submitted(g, "[js-probe]").sampling().constraint())
                .isEqualTo(new OutputConstraint.JsonSchema("place", SCHEMA, true));
    }

    @Test
    void jsonSchemaWithAnUnsupportedKeyword_is400NamingTheKeywordAndItsPath(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(CHAT, chat("hi", "\"response_format\":{\"type\":\"json_schema\","
                + "\"json_schema\":{\"name\":\"bad\",\"schema\":{\"type\":\"object\",\"properties\":{\"when\":"
                + "{\"type\":\"string\",\"format\":\"lunar-date\"}}}}}"));

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error(r).path("param").asText()).isEqualTo("response_format.json_schema.schema");
        assertThat(error(r).path("message").asText()).contains("'format'").contains("/properties/when");
        assertThat(g.post(CHAT, chat("hi", "")).statusCode()).isEqualTo(200);
    }

    @Test
    void jsonSchemaWithAMalformedName_is400NamingTheName(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(CHAT, chat("hi", "\"response_format\":{\"type\":\"json_schema\","
                + "\"json_schema\":{\"name\":\"no spaces allowed\",\"schema\":{}}}"));

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error(r).path("param").asText()).isEqualTo("response_format.json_schema.name");
    }

    @Test
    void forcedCallOfAStrictTool_constrainsItsArgumentsToTheSchema(TestGateway g) throws Exception {
        g.post(CHAT, chat("[strict-probe]", "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                + "\"strict\":true,\"parameters\":" + SCHEMA + "}},{\"type\":\"function\",\"function\":{\"name\":"
                + "\"loose\",\"parameters\":{\"type\":\"object\"}}}],\"tool_choice\":\"required\""));

        OutputConstraint.ToolCall call = (OutputConstraint.ToolCall) submitted(g, "[strict-probe]").sampling()
                .constraint();
        assertThat(call.names()).containsExactly("get_weather", "loose");
        assertThat(call.parameters()).isEqualTo(Map.of("get_weather",
                new OutputConstraint.JsonSchema("get_weather", SCHEMA, true)));
    }

    @Test
    void strictToolWithAnUnsupportedSchema_is400NamingItsParametersWhateverToolChoiceSays(TestGateway g)
            throws Exception {
        String tools = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"ok\",\"parameters\":{}}},"
                + "{\"type\":\"function\",\"function\":{\"name\":\"bad\",\"strict\":true,\"parameters\":{\"type\":"
                + "\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"required\":[\"a\"]}}}]";

        HttpResponse<String> auto = g.post(CHAT, chat("hi", tools));
        HttpResponse<String> forced = g.post(CHAT, chat("hi", tools + ",\"tool_choice\":\"required\""));

        for (HttpResponse<String> r : List.of(auto, forced)) {
            assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
            assertThat(error(r).path("param").asText()).isEqualTo("tools[1].function.parameters");
            assertThat(error(r).path("message").asText()).contains("additionalProperties");
        }
    }

    @Test
    void thinkingModel_reasoningContentIsApartFromTheAnswer(TestGateway g) {
        ChatCompletion c = g.client().chat().completions().create(ChatCompletionCreateParams.builder()
                .model("local-tiny").addUserMessage("[think] six times seven?").build());

        JsonNode message = Json.MAPPER.valueToTree(c.choices().getFirst().message()._additionalProperties());
        assertThat(c.choices().getFirst().message().content()).contains("The answer is 42.");
        assertThat(message.path("reasoning_content").asText()).isEqualTo("\nLet me think.\n");
        assertThat(c.usage().orElseThrow().completionTokensDetails().orElseThrow().reasoningTokens())
                .contains(5L);
    }

    @Test
    void thinkingModelStreamed_reasoningDeltasComeBeforeContentAndNeverMixWithIt(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(CHAT, chat("[think] six times seven?", "\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true}"));

        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        List<JsonNode> chunks = new ArrayList<>();
        for (String block : r.body().split("\n\n")) {
            if (block.startsWith("data: {")) {
                chunks.add(Json.MAPPER.readTree(block.substring(6)));
            }
        }
        for (JsonNode chunk : chunks) {
            JsonNode delta = chunk.at("/choices/0/delta");
            reasoning.append(delta.path("reasoning_content").asText(""));
            if (!delta.path("content").asText("").isEmpty()) {
                assertThat(delta.has("reasoning_content")).isFalse();
                content.append(delta.path("content").asText());
            }
        }
        assertThat(reasoning.toString()).isEqualTo("\nLet me think.\n");
        assertThat(content.toString()).isEqualTo("The answer is 42.");
        assertThat(chunks.getLast().at("/usage/completion_tokens_details/reasoning_tokens").asInt()).isEqualTo(5);
    }

    @Test
    void reasoningEffort_switchesTheTemplatesThinking(TestGateway g) {
        g.client().chat().completions().create(ChatCompletionCreateParams.builder().model("local-tiny")
                .addUserMessage("[effort-none]").reasoningEffort(ReasoningEffort.NONE).build());
        g.client().chat().completions().create(ChatCompletionCreateParams.builder().model("local-tiny")
                .addUserMessage("[effort-high]").reasoningEffort(ReasoningEffort.HIGH).build());
        g.client().chat().completions().create(ChatCompletionCreateParams.builder().model("local-tiny")
                .addUserMessage("[effort-unset]").build());

        assertThat(g.engine().preparedChats("[effort-none]").getFirst().templateArguments())
                .containsEntry("enable_thinking", false);
        assertThat(g.engine().preparedChats("[effort-high]").getFirst().templateArguments())
                .containsEntry("enable_thinking", true);
        assertThat(g.engine().preparedChats("[effort-unset]").getFirst().templateArguments())
                .doesNotContainKey("enable_thinking");
    }

    @Test
    void reasoningEffort_yieldsToAnExplicitTemplateSwitch(TestGateway g) throws Exception {
        g.post(CHAT, chat("[effort-kwargs]", "\"reasoning_effort\":\"none\",\"chat_template_kwargs\":"
                + "{\"enable_thinking\":true}"));

        assertThat(g.engine().preparedChats("[effort-kwargs]").getFirst().templateArguments())
                .containsEntry("enable_thinking", true);
    }
}
