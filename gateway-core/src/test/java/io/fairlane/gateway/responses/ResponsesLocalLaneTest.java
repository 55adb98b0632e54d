package io.fairlane.gateway.responses;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.OutputConstraint;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code /v1/responses} on the local lane (the shared gateway's fake engine): the response object, the event
 * stream, tool calls, reasoning, structured outputs and the chat path's errors as a Responses client reads them.
 */
@ExtendWith(GatewayExtension.class)
class ResponsesLocalLaneTest {

    static final String PATH = "/v1/responses";

    static String body(String input, String extra) {
        return "{\"model\":\"local-tiny\",\"input\":\"" + input + "\"" + (extra.isEmpty() ? "" : "," + extra) + "}";
    }

    /** A stream's events: each its {@code event:} name and its data. */
    record Event(String name, JsonNode data) {
    }

    static List<Event> events(String body) throws Exception {
        List<Event> out = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            String name = null;
            StringBuilder data = new StringBuilder();
            for (String line : block.split("\n")) {
                if (line.startsWith("event: ")) {
                    name = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data.append(line.substring(6));
                }
            }
            if (!data.isEmpty()) {
                out.add(new Event(name, Json.MAPPER.readTree(data.toString())));
            }
        }
        return out;
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body());
    }

    @Test
    void create_stringInput_answersACompletedResponseWithTheMessageAndUsage(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(PATH, body("hi", ""));

        JsonNode response = json(r);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(response.path("id").asText()).startsWith("resp_");
        assertThat(response.path("object").asText()).isEqualTo("response");
        assertThat(response.path("status").asText()).isEqualTo("completed");
        assertThat(response.at("/output/0/type").asText()).isEqualTo("message");
        assertThat(response.at("/output/0/content/0/text").asText()).isEqualTo("Hello from the fake engine.");
        assertThat(response.at("/usage/output_tokens").asInt()).isEqualTo(6);
        assertThat(response.at("/usage/input_tokens_details/cached_tokens").isInt()).isTrue();
        assertThat(response.at("/usage/output_tokens_details/reasoning_tokens").isInt()).isTrue();
    }

    @Test
    void create_stream_emitsTheEventsInOrderEachNamedAndNumbered(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(PATH, body("hi", "\"stream\":true"));
        List<Event> events = events(r.body());

        List<String> types = events.stream().map(e -> e.data().path("type").asText()).distinct().toList();
        assertThat(types).containsExactly("response.created", "response.in_progress", "response.output_item.added",
                "response.content_part.added", "response.output_text.delta", "response.output_text.done",
                "response.content_part.done", "response.output_item.done", "response.completed");
        for (int i = 0; i < events.size(); i++) {
            assertThat(events.get(i).data().path("sequence_number").asInt()).isEqualTo(i);
            assertThat(events.get(i).name()).isEqualTo(events.get(i).data().path("type").asText());
        }
        assertThat(events.getLast().data().at("/response/output/0/content/0/text").asText())
                .isEqualTo("Hello from the fake engine.");
        assertThat(r.body()).doesNotContain("[DONE]");
    }

    @Test
    void create_maxOutputTokensReached_isIncompleteWithItsReason(TestGateway g) throws Exception {
        JsonNode response = json(g.post(PATH, body("hi", "\"max_output_tokens\":16")));
        JsonNode cut = json(g.post(PATH, body("hi [slow]", "\"max_output_tokens\":16")));

        assertThat(response.path("status").asText()).isEqualTo("completed");
        assertThat(cut.path("status").asText()).isEqualTo("incomplete");
        assertThat(cut.at("/incomplete_details/reason").asText()).isEqualTo("max_output_tokens");
    }

    @Test
    void create_requiredTool_answersAFunctionCallItem(TestGateway g) throws Exception {
        JsonNode response = json(g.post(PATH, body("weather", """
                "tools":[{"type":"function","name":"get_weather","strict":false,
                  "parameters":{"type":"object","properties":{"city":{"type":"string"}}}}],
                "tool_choice":"required\"""")));

        JsonNode call = response.at("/output/0");
        assertThat(call.path("type").asText()).isEqualTo("function_call");
        assertThat(call.path("call_id").asText()).startsWith("call_");
        assertThat(call.path("name").asText()).isEqualTo("get_weather");
        assertThat(Json.MAPPER.readTree(call.path("arguments").asText()).path("city").asText()).isEqualTo("Paris");
    }

    @Test
    void create_requiredToolStreamed_streamsTheCallsArguments(TestGateway g) throws Exception {
        List<Event> events = events(g.post(PATH, body("weather", """
                "stream":true,"tools":[{"type":"function","name":"get_weather","strict":false,
                  "parameters":{"type":"object","properties":{"city":{"type":"string"}}}}],
                "tool_choice":"required\"""")).body());

        StringBuilder arguments = new StringBuilder();
        events.stream().filter(e -> e.name().equals("response.function_call_arguments.delta"))
                .forEach(e -> arguments.append(e.data().path("delta").asText()));
        JsonNode done = events.stream().filter(e -> e.name().equals("response.function_call_arguments.done"))
                .findFirst().orElseThrow().data();
        assertThat(events.get(2).data().at("/item/type").asText()).isEqualTo("function_call");
        assertThat(done.path("arguments").asText()).isEqualTo(arguments.toString()).contains("Paris");
    }

    @Test
    void create_thinkingModel_separatesAReasoningItemAndCountsItsTokens(TestGateway g) throws Exception {
        JsonNode response = json(g.post(PATH, body("[think] what is six times seven", "")));

        assertThat(response.at("/output/0/type").asText()).isEqualTo("reasoning");
        assertThat(response.at("/output/0/content/0/text").asText()).isEqualTo("\nLet me think.\n");
        assertThat(response.at("/output/0/summary").isArray()).isTrue();
        assertThat(response.at("/output/1/content/0/text").asText()).isEqualTo("The answer is 42.");
        assertThat(response.at("/usage/output_tokens_details/reasoning_tokens").asInt()).isEqualTo(5);
    }

    @Test
    void create_thinkingModelStreamed_streamsReasoningTextBeforeTheAnswer(TestGateway g) throws Exception {
        List<Event> events = events(g.post(PATH, body("[think] what is six times seven", "\"stream\":true")).body());

        List<String> names = events.stream().map(Event::name).toList();
        assertThat(names.indexOf("response.reasoning_text.done")).isPositive()
                .isLessThan(names.indexOf("response.output_text.delta"));
        assertThat(events.getLast().data().at("/response/usage/output_tokens_details/reasoning_tokens").asInt())
                .isEqualTo(5);
    }

    @Test
    void create_jsonSchemaFormat_constrainsTheEngineToTheSchema(TestGateway g) throws Exception {
        String schema = "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"],"
                + "\"additionalProperties\":false}";
        JsonNode response = json(g.post(PATH, body("where [schema-probe]", "\"text\":{\"format\":{\"type\":"
                + "\"json_schema\",\"name\":\"place\",\"strict\":true,\"schema\":" + schema + "}}")));

        GenerationRequest sent = g.engine().submitted().stream()
                .filter(s -> s.prompt().text().contains("[schema-probe]")).findFirst().orElseThrow();
        assertThat(sent.sampling().constraint()).isEqualTo(new OutputConstraint.JsonSchema("place", schema, true));
        assertThat(response.at("/output/0/content/0/text").asText()).isEqualTo("{\"city\": \"Oslo\"}");
        assertThat(response.at("/text/format/type").asText()).isEqualTo("json_schema");
    }

    @Test
    void create_unsupportedSchemaKeyword_is400PointingAtTextFormatSchema(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(PATH, body("hi", "\"text\":{\"format\":{\"type\":\"json_schema\","
                + "\"name\":\"bad\",\"schema\":{\"type\":\"object\",\"properties\":{\"a\":{\"allOf\":[{\"type\":"
                + "\"string\"}]}}}}}"));

        JsonNode error = json(r).path("error");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error.path("param").asText()).isEqualTo("text.format.schema");
        assertThat(error.path("message").asText()).contains("allOf").contains("/properties/a");
        assertThat(g.post(PATH, body("hi", "")).statusCode()).isEqualTo(200);
    }

    @Test
    void create_unsupportedStrictToolSchema_is400PointingAtTheToolsParameters(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(PATH, body("hi", """
                "tools":[{"type":"function","name":"ok","strict":false,"parameters":{"type":"object"}},
                         {"type":"function","name":"bad","parameters":{"type":"object","properties":
                           {"a":{"not":{"type":"string"}}},"required":["a"],"additionalProperties":false}}]"""));

        JsonNode error = json(r).path("error");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error.path("param").asText()).isEqualTo("tools[1].parameters");
        assertThat(error.path("message").asText()).contains("'not'").contains("/properties/a");
    }

    @Test
    void create_midStreamFailure_endsWithAnErrorEvent(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(PATH, body("[fail]", "\"stream\":true"));
        List<Event> events = events(r.body());

        Event last = events.getLast();
        assertThat(last.name()).isEqualTo("error");
        assertThat(last.data().path("sequence_number").asInt()).isEqualTo(events.size() - 1);
        assertThat(last.data().path("message").asText()).isNotEmpty();
        assertThat(events).noneMatch(e -> e.name().equals("response.completed"));
        assertThat(g.post(PATH, body("hi", "")).statusCode()).isEqualTo(200);
    }

    @Test
    void create_imageInput_isRefusedByALocalModelNamingTheContent(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(PATH, """
                {"model":"local-tiny","input":[{"role":"user","content":[{"type":"input_text","text":"what is it"},
                  {"type":"input_image","image_url":"https://example.com/cat.png"}]}]}""");

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).at("/error/param").asText()).isEqualTo("input[0].content");
    }

    @Test
    void create_contextTooLong_is400NamingTheInput(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(PATH, body("x".repeat(600), ""));

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).at("/error/param").asText()).isEqualTo("input");
        assertThat(json(r).at("/error/code").asText()).isEqualTo("context_length_exceeded");
    }

    @Test
    void create_instructions_comeFirstAsASystemMessage(TestGateway g) throws Exception {
        g.post(PATH, body("[instr-probe]", "\"instructions\":\"Answer briefly.\""));

        String prompt = g.engine().submitted().stream().filter(s -> s.prompt().text().contains("[instr-probe]"))
                .findFirst().orElseThrow().prompt().text();
        assertThat(prompt).startsWith("system: Answer briefly.\nuser: [instr-probe]");
    }

    @Test
    void create_withAnIdempotencyKey_replaysTheSameStream(TestGateway g) throws Exception {
        String key = "responses-" + System.nanoTime();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + PATH))
                .header("Authorization", "Bearer " + TestGateway.DEMO_KEY).header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(body("hi", "\"stream\":true"))).build();

        HttpResponse<String> first = g.send(request);
        HttpResponse<String> again = g.send(request);

        assertThat(again.headers().firstValue("idempotent-replayed")).contains("true");
        assertThat(again.body()).isEqualTo(first.body()).doesNotContain("[DONE]");
    }
}
