package io.fairlane.gateway.batches;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.gateway.files.Ids;
import io.fairlane.gateway.http.Json;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The lines of a batch's output and error files, in OpenAI's format:
 * {@code {"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}}. A line that got an HTTP
 * answer carries it in {@code response} (its body embedded as the JSON it was, byte for byte) with {@code error}
 * null; a line that never got one (the batch was cancelled or expired first) has {@code response} null and an
 * {@code error} with a code.
 */
final class OutputLines {

    private OutputLines() {
    }

    /** The line of an answered request; {@code json} says whether its body parsed as JSON (else it goes as text). */
    static String answered(String customId, int status, String requestId, byte[] body, boolean json) {
        return write(g -> {
            g.writeStringField("id", Ids.random("batch_req_"));
            g.writeStringField("custom_id", customId);
            g.writeObjectFieldStart("response");
            g.writeNumberField("status_code", status);
            g.writeStringField("request_id", requestId);
            g.writeFieldName("body");
            if (json) {
                g.writeRawValue(new String(body, StandardCharsets.UTF_8));
            } else {
                g.writeString(new String(body, StandardCharsets.UTF_8));
            }
            g.writeEndObject();
            g.writeNullField("error");
        });
    }

    /** The line of a request that never ran to an answer. */
    static String unanswered(String customId, String code, String message) {
        return write(g -> {
            g.writeStringField("id", Ids.random("batch_req_"));
            g.writeStringField("custom_id", customId);
            g.writeNullField("response");
            g.writeObjectFieldStart("error");
            g.writeStringField("code", code);
            g.writeStringField("message", message);
            g.writeEndObject();
        });
    }

    /** The tokens an answer reports: chat and completions' usage, or the Responses API's. */
    static Batch.Usage usage(JsonNode answer) {
        JsonNode u = answer == null ? null : answer.get("usage");
        if (u == null || !u.isObject()) {
            return Batch.Usage.NONE;
        }
        long input = u.has("input_tokens") ? u.path("input_tokens").asLong() : u.path("prompt_tokens").asLong();
        long output = u.has("output_tokens") ? u.path("output_tokens").asLong()
                : u.path("completion_tokens").asLong();
        long cached = u.has("input_tokens_details") ? u.path("input_tokens_details").path("cached_tokens").asLong()
                : u.path("prompt_tokens_details").path("cached_tokens").asLong();
        long reasoning = u.has("output_tokens_details")
                ? u.path("output_tokens_details").path("reasoning_tokens").asLong()
                : u.path("completion_tokens_details").path("reasoning_tokens").asLong();
        return new Batch.Usage(input, cached, output, reasoning);
    }

    /** The answer body as JSON (what the gateway's own handlers always send), or null when it is not. */
    static JsonNode parse(byte[] body) {
        try {
            return body.length == 0 ? null : Json.MAPPER.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    @FunctionalInterface
    private interface Fields {
        void write(JsonGenerator g) throws IOException;
    }

    private static String write(Fields fields) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out)) {
            g.writeStartObject();
            fields.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }
}
