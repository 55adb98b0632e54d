package io.fairlane.gateway.capture;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.gateway.http.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Records in the fairlane-capture format, version 1 (docs/conformance.md). */
class CaptureLineTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static JsonNode line(boolean stream, String response) throws Exception {
        CapturedExchange e = new CapturedExchange(Instant.parse("2026-01-02T03:04:05Z"), "team-a", "POST",
                "/v1/chat/completions", Map.of("content-type", "application/json"), bytes("{\"model\":\"m\"}"), 200,
                Map.of("content-type", stream ? "text/event-stream" : "application/json"), stream, bytes(response));
        return Json.MAPPER.readTree(CaptureLine.format(e));
    }

    @Test
    void format_jsonResponse_keepsBothBodiesAsJson() throws Exception {
        JsonNode line = line(false, "{\"id\":\"x\"}");

        assertThat(line.at("/request/body/model").asText() + " " + line.at("/response/body/id").asText())
                .isEqualTo("m x");
    }

    @Test
    void format_anyRecord_carriesVersionTimeAndTenant() throws Exception {
        JsonNode line = line(false, "{}");

        assertThat(line.get("v").asInt() + " " + line.get("time").asText() + " " + line.get("tenant").asText())
                .isEqualTo("1 2026-01-02T03:04:05Z team-a");
    }

    @Test
    void format_stream_listsEveryEventWithDoneAsText() throws Exception {
        JsonNode events = line(true, "data: {\"a\":1}\n\ndata: {\"a\":2}\n\ndata: [DONE]\n\n").at("/response/events");

        assertThat(events.toString()).isEqualTo("[{\"data\":{\"a\":1}},{\"data\":{\"a\":2}},{\"data\":\"[DONE]\"}]");
    }

    @Test
    void format_bodyThatIsNotJson_isKeptAsText() throws Exception {
        assertThat(line(false, "not json").at("/response/bodyText").asText()).isEqualTo("not json");
    }
}
