package io.fairlane.gateway.responses;

import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static io.fairlane.gateway.responses.ResponsesLocalLaneTest.PATH;
import static io.fairlane.gateway.responses.ResponsesLocalLaneTest.events;
import static io.fairlane.gateway.responses.ResponsesLocalLaneTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.responses.ResponsesLocalLaneTest.Event;
import io.fairlane.gateway.testing.Fixtures;
import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.TestGateway;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code /v1/responses} on an upstream lane that speaks only Chat Completions (the shared gateway's WireMock
 * upstream): the request translated on the way up, the answer and its stream translated on the way back.
 */
@ExtendWith(GatewayExtension.class)
class ResponsesUpstreamLaneTest {

    private static String body(String user, String extra) {
        return "{\"model\":\"gpt-stub\",\"user\":\"" + user + "\",\"input\":\"hi\"" + (extra.isEmpty() ? "" : ","
                + extra) + "}";
    }

    /** What the upstream received for the request of {@code user}. */
    private static JsonNode sentUpstream(TestGateway g, String user) throws Exception {
        List<LoggedRequest> sent = g.wireMock().findAll(postRequestedFor(urlEqualTo("/v1/chat/completions"))
                .withRequestBody(matchingJsonPath("$.user", com.github.tomakehurst.wiremock.client.WireMock
                        .equalTo(user))));
        return Json.MAPPER.readTree(sent.getLast().getBodyAsString());
    }

    @Test
    void create_plain_translatesTheCompletionIntoAResponse(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(PATH, body("plain", "\"instructions\":\"Be brief.\",\"max_output_tokens\":50"));

        JsonNode response = json(r);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(response.at("/output/0/content/0/text").asText()).isEqualTo("Hi there");
        assertThat(response.at("/usage/input_tokens").asInt()).isEqualTo(9);
        assertThat(response.at("/usage/output_tokens").asInt()).isEqualTo(2);
        assertThat(response.at("/usage/total_tokens").asInt()).isEqualTo(11);
        JsonNode chat = sentUpstream(g, "plain");
        assertThat(chat.at("/messages/0/role").asText()).isEqualTo("system");
        assertThat(chat.at("/messages/1/content").asText()).isEqualTo("hi");
        assertThat(chat.path("max_completion_tokens").asInt()).isEqualTo(50);
        assertThat(chat.path("model").asText()).isEqualTo("gpt-4o-2024-08-06");
        assertThat(chat.has("input")).as("the Responses body itself never goes upstream").isFalse();
    }

    @Test
    void create_streamedToolCalls_becomeFunctionCallItemsWithTheirArguments(TestGateway g) throws Exception {
        String capture = "chat-stream-07";
        Fixtures.requireCapture(capture); // skipped with the reason without the shared fixtures
        HttpResponse<String> r = g.post(PATH, body(capture, """
                "stream":true,"tools":[{"type":"function","name":"get_weather","strict":false,
                  "parameters":{"type":"object","properties":{"location":{"type":"string"}}}}]"""));
        List<Event> events = events(r.body());

        JsonNode completed = events.getLast().data().path("response");
        assertThat(events.getLast().name()).isEqualTo("response.completed");
        assertThat(completed.path("output")).isNotEmpty();
        for (JsonNode item : completed.path("output")) {
            assertThat(item.path("type").asText()).isEqualTo("function_call");
            assertThat(Json.MAPPER.readTree(item.path("arguments").asText()).isObject()).isTrue();
        }
        assertThat(completed.at("/usage/input_tokens").asInt()).isPositive();
        for (int i = 0; i < events.size(); i++) {
            assertThat(events.get(i).data().path("sequence_number").asInt()).isEqualTo(i);
        }
        assertThat(sentUpstream(g, capture).at("/stream_options/include_usage").asBoolean()).isTrue();
    }

    @Test
    void create_streamedText_isOneMessageWhoseDeltasJoinToItsText(TestGateway g) throws Exception {
        String capture = "chat-stream-03";
        Fixtures.requireCapture(capture); // skipped with the reason without the shared fixtures
        List<Event> events = events(g.post(PATH, body(capture, "\"stream\":true")).body());

        StringBuilder text = new StringBuilder();
        events.stream().filter(e -> e.name().equals("response.output_text.delta"))
                .forEach(e -> text.append(e.data().path("delta").asText()));
        JsonNode completed = events.getLast().data().path("response");
        assertThat(completed.at("/output/0/content/0/text").asText()).isEqualTo(text.toString()).isNotEmpty();
    }

    @Test
    void create_upstreamError_keepsItsStatusAndNamesTheResponsesParameter(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(PATH, body("e400", ""));

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).at("/error/param").asText()).isEqualTo("temperature");
        assertThat(g.post(PATH, body("plain", "")).statusCode()).isEqualTo(200);
    }

    @Test
    void create_tools_areSentUpstreamAsChatTools(TestGateway g) throws Exception {
        g.post(PATH, body("plain", """
                "tools":[{"type":"function","name":"get_weather","description":"Weather.",
                  "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],
                  "additionalProperties":false}}],
                "tool_choice":{"type":"function","name":"get_weather"},
                "text":{"format":{"type":"json_schema","name":"w","schema":{"type":"object"}}},
                "reasoning":{"effort":"low"}"""));

        JsonNode chat = sentUpstream(g, "plain");
        assertThat(chat.at("/tools/0/type").asText()).isEqualTo("function");
        assertThat(chat.at("/tools/0/function/name").asText()).isEqualTo("get_weather");
        assertThat(chat.at("/tools/0/function/strict").asBoolean()).as("strict is the Responses API's default")
                .isTrue();
        assertThat(chat.at("/tool_choice/function/name").asText()).isEqualTo("get_weather");
        assertThat(chat.at("/response_format/json_schema/name").asText()).isEqualTo("w");
        assertThat(chat.path("reasoning_effort").asText()).isEqualTo("low");
    }

    @Test
    void create_functionCallOutputInput_becomesAToolMessageAfterTheCall(TestGateway g) throws Exception {
        g.post(PATH, """
                {"model":"gpt-stub","user":"plain","input":[
                  {"role":"user","content":"weather in Paris?"},
                  {"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"},
                  {"type":"function_call_output","call_id":"call_1","output":"sunny"}]}""");

        JsonNode messages = sentUpstream(g, "plain").path("messages");
        assertThat(messages.at("/1/role").asText()).isEqualTo("assistant");
        assertThat(messages.at("/1/tool_calls/0/id").asText()).isEqualTo("call_1");
        assertThat(messages.at("/2/role").asText()).isEqualTo("tool");
        assertThat(messages.at("/2/tool_call_id").asText()).isEqualTo("call_1");
        assertThat(messages.at("/2/content").asText()).isEqualTo("sunny");
    }
}
