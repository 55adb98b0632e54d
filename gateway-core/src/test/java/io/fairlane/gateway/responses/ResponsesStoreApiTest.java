package io.fairlane.gateway.responses;

import static io.fairlane.gateway.responses.ResponsesLocalLaneTest.PATH;
import static io.fairlane.gateway.responses.ResponsesLocalLaneTest.body;
import static io.fairlane.gateway.responses.ResponsesLocalLaneTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Stored responses through the API: retrieve, list input items, delete, continue with {@code previous_response_id};
 * {@code store: false}; tenants kept apart; and every bad request answered with OpenAI's error shape while the
 * gateway keeps serving.
 */
@ExtendWith(GatewayExtension.class)
class ResponsesStoreApiTest {

    private static HttpResponse<String> as(TestGateway g, String key, String method, String path) throws Exception {
        return g.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + path))
                .header("Authorization", "Bearer " + key).method(method, HttpRequest.BodyPublishers.noBody()).build());
    }

    private static String create(TestGateway g, String input, String extra) throws Exception {
        HttpResponse<String> r = g.post(PATH, body(input, extra));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json(r).path("id").asText();
    }

    @Test
    void retrieve_storedResponse_isTheResponseAsAnswered(TestGateway g) throws Exception {
        HttpResponse<String> created = g.post(PATH, body("hi", ""));
        String id = json(created).path("id").asText();

        HttpResponse<String> r = g.get(PATH + "/" + id);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r)).isEqualTo(json(created));
    }

    @Test
    void retrieve_streamedResponse_isTheCompletedResponse(TestGateway g) throws Exception {
        String stream = g.post(PATH, body("hi", "\"stream\":true")).body();
        JsonNode completed = ResponsesLocalLaneTest.events(stream).getLast().data().path("response");

        JsonNode stored = json(g.get(PATH + "/" + completed.path("id").asText()));

        assertThat(stored).isEqualTo(completed);
    }

    @Test
    void continue_previousResponseId_promptsWithTheWholeConversation(TestGateway g) throws Exception {
        String first = create(g, "my name is [conv-probe] Ada", "\"instructions\":\"Be terse.\"");

        HttpResponse<String> second = g.post(PATH, body("what is my name", "\"previous_response_id\":\"" + first
                + "\""));

        assertThat(json(second).path("previous_response_id").asText()).isEqualTo(first);
        String prompt = g.engine().submitted().stream().filter(s -> s.prompt().text().contains("what is my name"))
                .findFirst().orElseThrow().prompt().text();
        // Instructions are not carried over; the earlier turn and its answer are.
        assertThat(prompt).isEqualTo("user: my name is [conv-probe] Ada\nassistant: Hello from the fake engine.\n"
                + "user: what is my name\n");
    }

    @Test
    void inputItems_ofAContinuedResponse_listTheWholeConversationNewestFirst(TestGateway g) throws Exception {
        String first = create(g, "one", "");
        String second = create(g, "two", "\"previous_response_id\":\"" + first + "\"");

        JsonNode list = json(g.get(PATH + "/" + second + "/input_items"));
        JsonNode ascending = json(g.get(PATH + "/" + second + "/input_items?order=asc&limit=2"));

        assertThat(list.path("object").asText()).isEqualTo("list");
        assertThat(list.path("data")).hasSize(3);
        assertThat(list.at("/data/0/content/0/text").asText()).isEqualTo("two");
        assertThat(list.at("/data/1/role").asText()).isEqualTo("assistant");
        assertThat(ascending.at("/data/0/content/0/text").asText()).isEqualTo("one");
        assertThat(ascending.path("has_more").asBoolean()).isTrue();
        assertThat(ascending.path("last_id").asText()).isEqualTo(ascending.at("/data/1/id").asText());
    }

    @Test
    void inputItems_after_continuesThePage(TestGateway g) throws Exception {
        String first = create(g, "one", "");
        String second = create(g, "two", "\"previous_response_id\":\"" + first + "\"");
        JsonNode page = json(g.get(PATH + "/" + second + "/input_items?order=asc&limit=1"));

        JsonNode next = json(g.get(PATH + "/" + second + "/input_items?order=asc&after="
                + page.path("last_id").asText()));

        assertThat(next.at("/data/0/role").asText()).isEqualTo("assistant");
        assertThat(next.path("data")).hasSize(2);
    }

    @Test
    void delete_thenRetrieve_isNotFound(TestGateway g) throws Exception {
        String id = create(g, "hi", "");

        HttpResponse<String> deleted = as(g, TestGateway.DEMO_KEY, "DELETE", PATH + "/" + id);
        HttpResponse<String> again = g.get(PATH + "/" + id);

        assertThat(json(deleted).path("object").asText()).isEqualTo("response.deleted");
        assertThat(json(deleted).path("deleted").asBoolean()).isTrue();
        assertThat(again.statusCode()).isEqualTo(404);
        assertThat(as(g, TestGateway.DEMO_KEY, "DELETE", PATH + "/" + id).statusCode()).isEqualTo(404);
    }

    @Test
    void storeFalse_keepsNothing(TestGateway g) throws Exception {
        String id = create(g, "hi", "\"store\":false");

        HttpResponse<String> r = g.get(PATH + "/" + id);
        HttpResponse<String> continued = g.post(PATH, body("again", "\"previous_response_id\":\"" + id + "\""));

        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(json(r).path("error").has("param")).isTrue();
        assertThat(continued.statusCode()).isEqualTo(400);
        assertThat(json(continued).at("/error/code").asText()).isEqualTo("previous_response_not_found");
    }

    @Test
    void anotherTenant_cannotRetrieveDeleteListOrContinueTheResponse(TestGateway g) throws Exception {
        String id = create(g, "secret", "");
        String other = TestGateway.SMALL_KEY;

        assertThat(as(g, other, "GET", PATH + "/" + id).statusCode()).isEqualTo(404);
        assertThat(as(g, other, "GET", PATH + "/" + id + "/input_items").statusCode()).isEqualTo(404);
        assertThat(as(g, other, "DELETE", PATH + "/" + id).statusCode()).isEqualTo(404);
        HttpResponse<String> continued = g.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port()
                        + PATH)).header("Authorization", "Bearer " + other)
                .POST(HttpRequest.BodyPublishers.ofString(body("and?", "\"previous_response_id\":\"" + id + "\"")))
                .build());
        assertThat(continued.statusCode()).isEqualTo(400);
        assertThat(g.get(PATH + "/" + id).statusCode()).isEqualTo(200);
    }

    @Test
    void retrieve_unknownId_is404InOpenAisShape(TestGateway g) throws Exception {
        HttpResponse<String> r = g.get(PATH + "/resp_doesnotexist");

        JsonNode error = json(r).path("error");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(error.path("message").asText()).contains("resp_doesnotexist");
        assertThat(error.has("type") && error.has("param") && error.has("code")).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "unknown item type|{\"model\":\"local-tiny\",\"input\":[{\"type\":\"teleport\"}]}|input[0].type",
        "item reference|{\"model\":\"local-tiny\",\"input\":[{\"type\":\"item_reference\",\"id\":\"msg_1\"}]}|input[0].type",
        "hosted tool|{\"model\":\"local-tiny\",\"input\":\"hi\",\"tools\":[{\"type\":\"web_search\"}]}|tools[0].type",
        "background|{\"model\":\"local-tiny\",\"input\":\"hi\",\"background\":true}|background",
        "conversation|{\"model\":\"local-tiny\",\"input\":\"hi\",\"conversation\":\"conv_1\"}|conversation",
        "no input|{\"model\":\"local-tiny\"}|input",
        "bad role|{\"model\":\"local-tiny\",\"input\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}|input[0].role",
        "call without id|{\"model\":\"local-tiny\",\"input\":[{\"type\":\"function_call_output\",\"output\":\"1\"}]}|input[0].call_id",
        "bad format|{\"model\":\"local-tiny\",\"input\":\"hi\",\"text\":{\"format\":{\"type\":\"yaml\"}}}|text.format.type",
        "schema without name|{\"model\":\"local-tiny\",\"input\":\"hi\",\"text\":{\"format\":{\"type\":\"json_schema\",\"schema\":{}}}}|text.format.name",
        "tool choice unknown|{\"model\":\"local-tiny\",\"input\":\"hi\",\"tools\":[{\"type\":\"function\",\"name\":\"f\"}],\"tool_choice\":{\"type\":\"function\",\"name\":\"g\"}}|tool_choice.name",
        "temperature|{\"model\":\"local-tiny\",\"input\":\"hi\",\"temperature\":3}|temperature",
        "previous not found|{\"model\":\"local-tiny\",\"input\":\"hi\",\"previous_response_id\":\"resp_nope\"}|previous_response_id",
    })
    void create_badRequest_is400NamingTheParameterAndTheGatewayKeepsServing(String why, String request, String param,
                                                                           TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(PATH, request);

        JsonNode error = json(r).path("error");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(error.path("param").asText()).isEqualTo(param);
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("message").asText()).isNotBlank();
        assertThat(g.post(PATH, body("hi", "")).statusCode()).isEqualTo(200);
    }

    @Test
    void create_malformedJson_is400AndTheNextRequestIsServed(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(PATH, "{\"model\":\"local-tiny\",\"input\":");

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).at("/error/message").asText()).contains("could not parse the JSON body");
        assertThat(g.post(PATH, body("hi", "")).statusCode()).isEqualTo(200);
    }

    @Test
    void create_unknownModel_is404ModelNotFound(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(PATH, "{\"model\":\"nope\",\"input\":\"hi\"}");

        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(json(r).at("/error/code").asText()).isEqualTo("model_not_found");
    }

    @Test
    void inputItems_badLimit_is400NamingIt(TestGateway g) throws Exception {
        String id = create(g, "hi", "");

        HttpResponse<String> r = g.get(PATH + "/" + id + "/input_items?limit=0");

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).at("/error/param").asText()).isEqualTo("limit");
    }

    @Test
    void cancel_isRefusedAsBackgroundOnly(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post(PATH + "/resp_x/cancel", "");

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).at("/error/code").asText()).isEqualTo("unsupported_parameter");
    }
}
