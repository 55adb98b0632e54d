package io.fairlane.gateway.batches;

import static io.fairlane.gateway.batches.BatchesApiTest.awaitStatus;
import static io.fairlane.gateway.batches.BatchesApiTest.create;
import static io.fairlane.gateway.batches.BatchesApiTest.fileOf;
import static io.fairlane.gateway.batches.BatchesApiTest.lines;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.TestGateway;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Batches whose lines target {@code /v1/responses}: each line runs through the Responses endpoint on either lane and
 * its result is a response object; a line the Responses parser refuses fails validation with its line number.
 */
@ExtendWith(GatewayExtension.class)
class BatchOfResponsesTest {

    private static String line(String customId, String model, String extra) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/responses\",\"body\":"
                + "{\"model\":\"" + model + "\",\"user\":\"plain\",\"input\":\"hi " + customId + "\","
                + "\"max_output_tokens\":16" + extra + "}}";
    }

    @Test
    void batch_ofResponsesLines_answersEachWithAResponseObjectOnBothLanes(TestGateway g) throws Exception {
        List<String> input = List.of(line("up", "gpt-stub", ""), line("local", "local-tiny", ""));
        JsonNode created = create(g, TestGateway.DEMO_KEY, fileOf(g, TestGateway.DEMO_KEY, input), "/v1/responses");
        JsonNode done = awaitStatus(g, TestGateway.DEMO_KEY, created.get("id").asText(), "completed");

        assertThat(done.get("request_counts").get("completed").asInt()).as(done.toString()).isEqualTo(2);
        assertThat(done.get("request_counts").get("failed").asInt()).isZero();
        Map<String, JsonNode> byId = new TreeMap<>();
        lines(g, TestGateway.DEMO_KEY, done.get("output_file_id").asText())
                .forEach(l -> byId.put(l.get("custom_id").asText(), l.get("response")));
        assertThat(byId).containsOnlyKeys("up", "local").allSatisfy((id, response) -> {
            assertThat(response.get("status_code").asInt()).isEqualTo(200);
            JsonNode body = response.get("body");
            assertThat(body.get("object").asText()).isEqualTo("response");
            assertThat(body.get("status").asText()).isIn("completed", "incomplete");
            assertThat(body.get("output").get(0).get("type").asText()).isEqualTo("message");
            assertThat(body.get("service_tier").asText()).isEqualTo("flex");
        });
        assertThat(byId.get("up").get("body").get("output").get(0).get("content").get(0).get("text").asText())
                .isEqualTo("Hi there");
    }

    @Test
    void batch_withALineTheResponsesParserRefuses_failsNamingThatLine(TestGateway g) throws Exception {
        List<String> input = List.of(line("ok", "gpt-stub", ""),
                line("bg", "gpt-stub", ",\"background\":true"),
                line("odd", "gpt-stub", "").replace("\"input\":\"hi odd\"", "\"input\":[{\"type\":\"no_such_item\"}]"));
        JsonNode created = create(g, TestGateway.DEMO_KEY, fileOf(g, TestGateway.DEMO_KEY, input), "/v1/responses");
        JsonNode failed = awaitStatus(g, TestGateway.DEMO_KEY, created.get("id").asText(), "failed");

        Map<Integer, JsonNode> byLine = new TreeMap<>();
        failed.get("errors").get("data").forEach(e -> byLine.put(e.get("line").asInt(), e));
        assertThat(byLine).as(failed.toString()).containsOnlyKeys(2, 3);
        assertThat(byLine.get(2).get("param").asText()).contains("background");
        assertThat(byLine.get(3).get("param").asText()).startsWith("body.input[0]");
        assertThat(g.plainChat().statusCode()).isEqualTo(200);
    }
}
