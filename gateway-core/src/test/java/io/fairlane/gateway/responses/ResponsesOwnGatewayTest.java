package io.fairlane.gateway.responses;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static io.fairlane.gateway.responses.ResponsesLocalLaneTest.events;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.FairlaneConfig;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.responses.ResponsesLocalLaneTest.Event;
import io.fairlane.gateway.testing.FakeEngine;
import io.fairlane.gateway.testing.LeakRecorder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gateways of this class's own, for what the shared one is not configured for: an upstream that speaks the
 * Responses API itself, the response store on disk across a restart, and the store's size bounds.
 */
class ResponsesOwnGatewayTest {

    private static final String KEY = "sk-responses-own";
    private static final String PATH = "/v1/responses";
    private static final String UPSTREAM_RESPONSE = """
            {"id":"resp_upstream1","object":"response","created_at":1740855869,"status":"completed","error":null,
             "incomplete_details":null,"instructions":null,"max_output_tokens":null,"model":"gpt-native",
             "output":[{"id":"msg_up1","type":"message","status":"completed","role":"assistant",
                        "content":[{"type":"output_text","text":"From upstream","annotations":[]}]}],
             "parallel_tool_calls":true,"previous_response_id":null,"temperature":1,"tool_choice":"auto","tools":[],
             "top_p":1,"metadata":{},"usage":{"input_tokens":7,"input_tokens_details":{"cached_tokens":0},
             "output_tokens":3,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":10}}""";

    private static WireMockServer upstream;
    private final HttpClient http = HttpClient.newHttpClient();
    private Gateway gateway;

    @TempDir
    Path dir;

    @BeforeAll
    static void startUpstream() {
        upstream = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
        String completed = UPSTREAM_RESPONSE.replace("\n", "");
        String stream = "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":5,"
                + "\"response\":" + completed.replace("\"completed\"", "\"in_progress\"") + "}\n\n"
                + "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\","
                + "\"sequence_number\":9,\"item_id\":\"msg_up1\",\"output_index\":0,\"content_index\":0,\"delta\":"
                + "\"From upstream\"}\n\n"
                + "event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":11,"
                + "\"response\":" + completed + "}\n\n";
        upstream.stubFor(post(urlEqualTo("/v1/responses")).withRequestBody(matchingJsonPath("$.stream",
                equalTo("true"))).atPriority(1).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream").withBody(stream)));
        upstream.stubFor(post(urlEqualTo("/v1/responses")).atPriority(2).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(UPSTREAM_RESPONSE)));
    }

    @AfterAll
    static void stopUpstream() {
        upstream.stop();
        assertThat(LeakRecorder.check()).as("Netty buffers leaked").isEmpty();
    }

    @AfterEach
    void stopGateway() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private Gateway start(String extra) throws Exception {
        String yaml = """
                server: {host: 127.0.0.1, port: 0, event_loops: 1, cache_dir: "%s"}
                tenants:
                  - {id: t1, api_keys: ["%s"]}
                models:
                  - id: local-tiny
                    local: {synthetic: {shape: tiny}, backend: cpu}
                  - id: native
                    upstream: {url: "http://127.0.0.1:%d/v1", model: gpt-native, api: responses}
                metrics: {enabled: false}
                %s
                """.formatted(dir.resolve("cache"), ApiKeyHash.of(KEY), upstream.port(), extra);
        FairlaneConfig config = new ConfigLoader(Map.of("HOME", dir.toString())).parse(yaml, "test");
        FakeEngine engine = new FakeEngine();
        gateway = Gateway.start(config, (model, tenants, stats) -> engine);
        return gateway;
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void nativeUpstream_json_isForwardedAsItCameAndStored() throws Exception {
        start("");
        String request = "{\"model\":\"native\",\"input\":\"hi\",\"metadata\":{\"k\":\"v\"}}";

        HttpResponse<String> r = send("POST", PATH, request);

        assertThat(Json.MAPPER.readTree(r.body())).isEqualTo(Json.MAPPER.readTree(UPSTREAM_RESPONSE));
        JsonNode sent = Json.MAPPER.readTree(upstream.findAll(postRequestedFor(urlEqualTo("/v1/responses")))
                .getLast().getBodyAsString());
        assertThat(sent.path("model").asText()).isEqualTo("gpt-native");
        assertThat(sent.path("metadata").path("k").asText()).isEqualTo("v");
        assertThat(send("GET", PATH + "/resp_upstream1", null).statusCode()).isEqualTo(200);
    }

    @Test
    void nativeUpstream_stream_isRenumberedAndNamed() throws Exception {
        start("");

        List<Event> events = events(send("POST", PATH, "{\"model\":\"native\",\"input\":\"hi\",\"stream\":true}")
                .body());

        assertThat(events).extracting(Event::name).containsExactly("response.created",
                "response.output_text.delta", "response.completed");
        assertThat(events).extracting(e -> e.data().path("sequence_number").asInt()).containsExactly(0, 1, 2);
        JsonNode sent = Json.MAPPER.readTree(upstream.findAll(postRequestedFor(urlEqualTo("/v1/responses")))
                .getLast().getBodyAsString());
        assertThat(sent.has("stream_options")).as("the Responses API has no include_usage").isFalse();
    }

    @Test
    void nativeUpstream_previousResponseId_isResolvedHereAndSentAsInput() throws Exception {
        start("");
        send("POST", PATH, "{\"model\":\"native\",\"input\":\"first\"}");

        HttpResponse<String> r = send("POST", PATH, "{\"model\":\"native\",\"input\":\"second\","
                + "\"previous_response_id\":\"resp_upstream1\"}");

        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode sent = Json.MAPPER.readTree(upstream.findAll(postRequestedFor(urlEqualTo("/v1/responses")))
                .getLast().getBodyAsString());
        assertThat(sent.has("previous_response_id")).isFalse();
        assertThat(sent.path("input")).hasSize(3);
        assertThat(sent.at("/input/1/content/0/text").asText()).isEqualTo("From upstream");
    }

    @Test
    void storageDirectory_storedResponsesSurviveARestart() throws Exception {
        String storage = "storage: {directory: \"" + dir.resolve("state") + "\"}";
        start(storage);
        JsonNode created = Json.MAPPER.readTree(send("POST", PATH, "{\"model\":\"local-tiny\",\"input\":\"keep me\"}")
                .body());
        String id = created.path("id").asText();
        String deleted = Json.MAPPER.readTree(send("POST", PATH, "{\"model\":\"local-tiny\",\"input\":\"drop me\"}")
                .body()).path("id").asText();
        send("DELETE", PATH + "/" + deleted, null);
        gateway.close();

        start(storage);

        HttpResponse<String> r = send("GET", PATH + "/" + id, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(r.body())).isEqualTo(created);
        assertThat(send("GET", PATH + "/" + deleted, null).statusCode()).isEqualTo(404);
        assertThat(send("POST", PATH, "{\"model\":\"local-tiny\",\"input\":\"and?\",\"previous_response_id\":\""
                + id + "\"}").statusCode()).isEqualTo(200);
        assertThat(Files.exists(dir.resolve("state").resolve("fairlane.db"))).isTrue();
    }

    @Test
    void storeBounds_anInputLargerThanAStoredResponseMayBe_is400NamingStore() throws Exception {
        start("responses: {store: {max_response_size: 300B, max_size: 8KiB}}");
        String big = "x".repeat(400); // the fake engine's context holds 512 characters

        HttpResponse<String> r = send("POST", PATH, "{\"model\":\"local-tiny\",\"input\":\"" + big + "\"}");
        HttpResponse<String> unstored = send("POST", PATH, "{\"model\":\"local-tiny\",\"input\":\"" + big
                + "\",\"store\":false}");

        JsonNode error = Json.MAPPER.readTree(r.body()).path("error");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error.path("param").asText()).isEqualTo("store");
        assertThat(error.path("code").asText()).isEqualTo("response_too_large");
        assertThat(unstored.statusCode()).isEqualTo(200);
    }

    @Test
    void storeBounds_pastTheTenantsBytes_theOldestGoFirst() throws Exception {
        // in memory, where eviction is visible the moment a put returns (the durable stores evict in their writer's
        // transaction: ResponseStoreContract checks them after a flush)
        start("storage: {enabled: false}\nresponses: {store: {max_response_size: 4KiB, max_size: 8KiB}}");
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ids.add(Json.MAPPER.readTree(send("POST", PATH, "{\"model\":\"local-tiny\",\"input\":\"turn " + i
                    + " " + "y".repeat(200) + "\"}").body()).path("id").asText());
        }

        assertThat(send("GET", PATH + "/" + ids.getFirst(), null).statusCode()).isEqualTo(404);
        assertThat(send("GET", PATH + "/" + ids.getLast(), null).statusCode()).isEqualTo(200);
    }
}
