package io.fairlane.conformance.check;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.conformance.wire.Exchange;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * The Responses API and structured-output requests of a run, each sent once and shared by the checks that read it
 * (as {@link CheckContext} does for chat): a plain response and its stream, forced tool calls streamed and not, a
 * continuation and the stored-response calls around it, an invalid input item, a stream provoked to fail, and the
 * JSON-Schema requests.
 */
final class ResponsesTraffic {

    /** The schema structured outputs are checked against: bounded, so a random model finishes it too. */
    static final String FORECAST_SCHEMA = """
            {"type":"object","properties":{"city":{"type":"string","maxLength":12},
             "days":{"type":"integer","minimum":1,"maximum":14},
             "units":{"type":"string","enum":["celsius","fahrenheit"]}},
             "required":["city","days","units"],"additionalProperties":false}""";
    /** The strict tool's parameters. */
    static final String WEATHER_SCHEMA = """
            {"type":"object","properties":{"city":{"type":"string","maxLength":24}},"required":["city"],
             "additionalProperties":false}""";
    static final String FIRST_INPUT = "Write one short sentence about the sea.";
    static final String SECOND_INPUT = "And one about the sky.";

    private ResponsesTraffic() {
    }

    static JsonNode schema(String text) {
        try {
            return CheckContext.JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectNode body(CheckContext c, String input) {
        ObjectNode body = CheckContext.JSON.createObjectNode();
        body.put("model", c.options().model());
        body.put("input", input);
        body.put("max_output_tokens", 24);
        body.put("temperature", 0);
        return body;
    }

    static Exchange plain(CheckContext c) {
        return c.once("responses", () -> c.probe().post("response, not streamed", "responses",
                body(c, FIRST_INPUT)).send());
    }

    static Exchange stream(CheckContext c) {
        return c.once("responses-stream", () -> {
            ObjectNode body = body(c, FIRST_INPUT);
            body.put("stream", true);
            return c.probe().post("response, streamed", "responses", body).send();
        });
    }

    static ObjectNode toolBody(CheckContext c, boolean stream) {
        ObjectNode body = body(c, "What is the weather in Paris? Call " + CheckContext.TOOL_NAME + ".");
        body.put("max_output_tokens", 96);
        ObjectNode tool = body.putArray("tools").addObject();
        tool.put("type", "function");
        tool.put("name", CheckContext.TOOL_NAME);
        tool.put("description", "Current weather for a city.");
        tool.set("parameters", schema(WEATHER_SCHEMA));
        tool.put("strict", true);
        body.put("tool_choice", "required");
        if (stream) {
            body.put("stream", true);
        }
        return body;
    }

    static Exchange tools(CheckContext c) {
        return c.once("responses-tools", () -> c.probe().post("response with a forced strict tool call", "responses",
                toolBody(c, false)).send());
    }

    static Exchange toolsStream(CheckContext c) {
        return c.once("responses-tools-stream", () -> c.probe().post("response with a forced strict tool call, "
                + "streamed", "responses", toolBody(c, true)).send());
    }

    /** The id of the plain response, when it was answered. */
    static Optional<String> plainId(CheckContext c) {
        Exchange plain = plain(c);
        if (!plain.ok()) {
            return Optional.empty();
        }
        return plain.responseOrThrow().json().map(j -> j.path("id").asText(null));
    }

    static Exchange continued(CheckContext c, String previous) {
        return c.once("responses-continued", () -> {
            ObjectNode body = body(c, SECOND_INPUT);
            body.put("previous_response_id", previous);
            return c.probe().post("response continuing the plain one (previous_response_id)", "responses", body)
                    .send();
        });
    }

    static Exchange retrieve(CheckContext c, String key, String id) {
        return c.once("responses-get-" + key, () -> c.probe().get("stored response (" + key + ")", "responses/" + id)
                .send());
    }

    static Exchange inputItems(CheckContext c, String id) {
        return c.once("responses-input-items", () -> c.probe().get("input items of the continued response",
                "responses/" + id + "/input_items?order=asc").send());
    }

    static Exchange delete(CheckContext c, String id) {
        return c.once("responses-delete", () -> c.probe().call("delete the continued response", "DELETE",
                "responses/" + id).send());
    }

    static Exchange badItem(CheckContext c) {
        return c.once("responses-bad-item", () -> {
            ObjectNode body = CheckContext.JSON.createObjectNode();
            body.put("model", c.options().model());
            ArrayNode input = body.putArray("input");
            input.addObject().put("type", "fairlane_conformance_no_such_item");
            return c.probe().post("response with an input item of an unknown type", "responses", body).send();
        });
    }

    static Exchange missingPrevious(CheckContext c) {
        return c.once("responses-missing-previous", () -> {
            ObjectNode body = body(c, SECOND_INPUT);
            body.put("previous_response_id", "resp_fairlane_conformance_" + c.runId().replace("-", ""));
            return c.probe().post("response continuing one that does not exist", "responses", body).send();
        });
    }

    static Exchange midStream(CheckContext c) {
        return c.once("responses-mid-stream", () -> {
            ObjectNode body = body(c, FIRST_INPUT);
            body.put("stream", true);
            c.options().midStreamErrorModel().ifPresent(m -> body.put("model", m));
            return c.probe().post("response stream provoked to fail after it began", "responses", body)
                    .headers(c.options().midStreamErrorHeaders()).send();
        });
    }

    static Exchange chatJsonSchema(CheckContext c) {
        return c.once("chat-json-schema", () -> {
            ObjectNode body = c.chatBody("Give a three-day forecast for Oslo as JSON.");
            body.put("max_tokens", 200);
            body.put("temperature", 0);
            ObjectNode js = body.putObject("response_format").put("type", "json_schema").putObject("json_schema");
            js.put("name", "forecast");
            js.put("strict", true);
            js.set("schema", schema(FORECAST_SCHEMA));
            return c.probe().post("chat completion with a strict json_schema response format", "chat/completions",
                    body).send();
        });
    }

    static Exchange responsesJsonSchema(CheckContext c) {
        return c.once("responses-json-schema", () -> {
            ObjectNode body = body(c, "Give a three-day forecast for Oslo as JSON.");
            body.put("max_output_tokens", 200);
            ObjectNode format = body.putObject("text").putObject("format");
            format.put("type", "json_schema");
            format.put("name", "forecast");
            format.put("strict", true);
            format.set("schema", schema(FORECAST_SCHEMA));
            return c.probe().post("response with a strict json_schema text format", "responses", body).send();
        });
    }
}
