package io.fairlane.conformance.check;

import static io.fairlane.conformance.check.CheckContext.compact;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.fairlane.conformance.wire.EventStream;
import io.fairlane.conformance.wire.Exchange;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Structured outputs: what a server returns under a JSON Schema parses and validates against that schema (with
 * networknt's validator, formats asserted), for chat's {@code response_format: json_schema}, the Responses API's
 * {@code text.format} and a strict function tool's arguments. A server that cannot honour a schema may say so with a
 * 400 naming the parameter; the check is then not applicable.
 */
final class StructuredChecks {

    private StructuredChecks() {
    }

    static List<Check> all() {
        return List.of(
                new Check("structured.chat-json-schema", Suite.STRUCTURED,
                        "chat with response_format json_schema (strict) answers JSON that validates",
                        StructuredChecks::chat),
                new Check("structured.responses-json-schema", Suite.STRUCTURED,
                        "a response with text.format json_schema (strict) answers JSON that validates",
                        StructuredChecks::responses),
                new Check("structured.strict-tool", Suite.STRUCTURED,
                        "a forced call of a strict tool has arguments that validate, streamed or not",
                        StructuredChecks::strictTool));
    }

    static JsonSchema compile(String schema) {
        return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(
                ResponsesTraffic.schema(schema), SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build());
    }

    /** Why {@code text} is not a valid instance of {@code schema}; empty when it is. */
    static List<String> problems(JsonSchema schema, String text) {
        JsonNode value;
        try {
            value = CheckContext.JSON.readTree(text);
        } catch (IOException e) {
            return List.of("not JSON: " + Evidence.shorten(text, 200));
        }
        Set<ValidationMessage> messages = schema.validate(value);
        return messages.stream().map(ValidationMessage::getMessage).sorted().toList();
    }

    private static void requireAccepted(Exchange exchange, String... params) {
        if (CheckContext.refusesParameter(exchange, params)) {
            throw new NotApplicable("the server refuses the schema with a 400 naming "
                    + CheckContext.errorObject(exchange).map(e -> e.path("param").asText()).orElse("it"));
        }
    }

    private static void judge(String what, String text, JsonSchema schema, Exchange exchange, Findings findings) {
        List<String> problems = problems(schema, text);
        if (problems.isEmpty()) {
            findings.observe(what + " validates: " + Evidence.shorten(text, 200), exchange);
        } else {
            findings.fail(what + " does not validate: " + String.join("; ", problems), exchange,
                    Evidence.shorten(text, 600));
        }
    }

    private static void chat(CheckContext context, Findings findings) {
        Exchange exchange = ResponsesTraffic.chatJsonSchema(context);
        requireAccepted(exchange, "response_format", "response_format.json_schema",
                "response_format.json_schema.schema");
        CheckContext.okJson(exchange, findings).ifPresent(c -> {
            JsonNode choice = c.path("choices").path(0);
            if (!"stop".equals(choice.path("finish_reason").asText(null))) {
                findings.fail("finish_reason is " + choice.path("finish_reason") + ": the output was cut before the "
                        + "schema was complete", exchange, compact(choice));
                return;
            }
            judge("the content", choice.path("message").path("content").asText(""), 
                    compile(ResponsesTraffic.FORECAST_SCHEMA), exchange, findings);
        });
    }

    private static void responses(CheckContext context, Findings findings) {
        Exchange exchange = ResponsesTraffic.responsesJsonSchema(context);
        requireAccepted(exchange, "text.format", "text.format.schema");
        CheckContext.okJson(exchange, findings).ifPresent(r -> {
            if (!"completed".equals(r.path("status").asText(null))) {
                findings.fail("status is " + r.path("status") + ": the output was cut before the schema was "
                        + "complete", exchange, compact(r));
                return;
            }
            StringBuilder text = new StringBuilder();
            for (JsonNode item : r.path("output")) {
                if ("message".equals(item.path("type").asText())) {
                    item.path("content").forEach(p -> text.append(p.path("text").asText("")));
                }
            }
            judge("the output text", text.toString(), compile(ResponsesTraffic.FORECAST_SCHEMA), exchange, findings);
        });
    }

    private static void strictTool(CheckContext context, Findings findings) {
        JsonSchema schema = compile(ResponsesTraffic.WEATHER_SCHEMA);
        Exchange plain = ResponsesTraffic.tools(context);
        Exchange streamed = ResponsesTraffic.toolsStream(context);
        requireAccepted(plain, "tool_choice", "tools", "tools[0].parameters");
        List<String> arguments = new ArrayList<>();
        CheckContext.okJson(plain, findings).ifPresent(r -> r.path("output").forEach(item -> {
            if ("function_call".equals(item.path("type").asText())) {
                judge("the call's arguments", item.path("arguments").asText(""), schema, plain, findings);
                arguments.add(item.path("arguments").asText(""));
            }
        }));
        if (streamed.ok()) {
            for (JsonNode e : EventStream.parse(streamed.responseOrThrow().body()).jsons()) {
                if ("response.function_call_arguments.done".equals(e.path("type").asText())) {
                    judge("the streamed call's arguments", e.path("arguments").asText(""), schema, streamed, findings);
                    arguments.add(e.path("arguments").asText(""));
                }
            }
        } else {
            findings.fail(streamed.purpose() + ": expected a 2xx stream, got "
                    + streamed.transportError().orElse("status " + streamed.status()), streamed);
        }
        if (arguments.isEmpty() && !findings.failed()) {
            findings.fail("tool_choice 'required' was sent but no call was made", plain);
        }
    }
}
