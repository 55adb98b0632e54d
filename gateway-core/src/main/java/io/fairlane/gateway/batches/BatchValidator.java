package io.fairlane.gateway.batches;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.http.Json;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Validates a batch's input file before any line runs, reading it once as a stream: every line must be a JSON object
 * with a unique {@code custom_id}, {@code method: POST}, the batch's endpoint as {@code url}, and a {@code body} the
 * endpoint accepts (checked by the endpoint's own parser) naming a model this gateway serves, without
 * {@code stream: true}. Every problem is collected with its line number (the first {@value #MAX_ERRORS} are listed),
 * so a client fixes a file in one round, not one error at a time.
 *
 * <p>Valid lines are inserted into the batch's queue as they are read, in chunks; if the file turns out invalid, the
 * caller drops them with the batch. Runs on a virtual thread.
 */
final class BatchValidator {

    static final int MAX_ERRORS = 100;
    private static final int MAX_CUSTOM_ID = 512;
    private static final int CHUNK = 500;

    /** What validation found. */
    sealed interface Outcome permits Valid, Invalid {
    }

    /** Every line is good: {@code total} lines, the first one's model. */
    record Valid(long total, String model) implements Outcome {
    }

    /** Problems, as OpenAI's {@code errors} list object. */
    record Invalid(JsonNode errors, long total) implements Outcome {
    }

    private final Predicate<String> served;
    private final int maxLines;
    private final int maxLineBytes;

    /** @param served whether this gateway serves a model id (looked up anew for each batch, so reloads count) */
    BatchValidator(Predicate<String> served, int maxLines, int maxLineBytes) {
        this.served = served;
        this.maxLines = maxLines;
        this.maxLineBytes = maxLineBytes;
    }

    Outcome validate(InputStream input, String batchId, String endpoint, BatchLines queue) throws IOException {
        BatchEndpoints.BodyCheck check = BatchEndpoints.check(endpoint).orElseThrow();
        ArrayNode errors = Json.MAPPER.createArrayNode();
        int[] dropped = {0};
        Set<String> customIds = new HashSet<>();
        List<BatchLines.Line> pending = new ArrayList<>(CHUNK);
        LineReader reader = new LineReader(input, maxLineBytes);
        String model = null;
        long requests = 0;
        int lineNo = 0;
        List<Integer> blanks = new ArrayList<>();
        for (LineReader.Line raw = reader.next(); raw != null; raw = reader.next()) {
            lineNo++;
            if (raw.tooLong()) {
                error(errors, dropped, "line_too_long", "Line " + lineNo + " is longer than " + maxLineBytes
                        + " bytes.", null, lineNo);
                continue;
            }
            if (raw.isBlank()) {
                blanks.add(lineNo);
                continue;
            }
            for (int blank : blanks) {
                error(errors, dropped, "empty_line", "Line " + blank + " is empty; every line must be a request.",
                        null, blank);
            }
            blanks.clear();
            requests++;
            if (requests > maxLines) {
                if (requests == maxLines + 1) {
                    error(errors, dropped, "too_many_requests", "The input file has more than " + maxLines
                            + " requests, the most one batch may hold.", null, lineNo);
                }
                continue;
            }
            String problems = null;
            JsonNode node;
            try {
                node = Json.MAPPER.readTree(raw.bytes());
            } catch (JsonProcessingException e) {
                node = null;
            }
            if (!(node instanceof ObjectNode line)) {
                error(errors, dropped, "invalid_json_line", "Line " + lineNo + " is not a JSON object.", null, lineNo);
                continue;
            }
            JsonNode customId = line.get("custom_id");
            JsonNode body = line.get("body");
            if (customId == null || !customId.isTextual() || customId.asText().isEmpty()) {
                problems = error(errors, dropped, "missing_custom_id", "Line " + lineNo + " has no custom_id (a "
                        + "non-empty string).", "custom_id", lineNo);
            } else if (customId.asText().length() > MAX_CUSTOM_ID) {
                problems = error(errors, dropped, "invalid_custom_id", "Line " + lineNo + ": custom_id is longer than "
                        + MAX_CUSTOM_ID + " characters.", "custom_id", lineNo);
            } else if (!customIds.add(customId.asText())) {
                problems = error(errors, dropped, "duplicate_custom_id", "Line " + lineNo + ": the custom_id '"
                        + customId.asText() + "' is used by an earlier line; each must be unique.", "custom_id",
                        lineNo);
            }
            if (!"POST".equals(text(line, "method"))) {
                problems = error(errors, dropped, "invalid_method", "Line " + lineNo + ": method must be 'POST'.",
                        "method", lineNo);
            }
            if (!endpoint.equals(text(line, "url"))) {
                problems = error(errors, dropped, "invalid_url", "Line " + lineNo + ": url must be the batch's "
                        + "endpoint, '" + endpoint + "', was '" + text(line, "url") + "'.", "url", lineNo);
            }
            if (!(body instanceof ObjectNode request)) {
                problems = error(errors, dropped, "invalid_body", "Line " + lineNo + ": body must be a JSON object.",
                        "body", lineNo);
            } else {
                String lineModel = text(request, "model");
                String bodyProblem = checkBody(request, lineModel, served, check, lineNo, errors, dropped);
                problems = bodyProblem != null ? bodyProblem : problems;
                if (model == null && lineModel != null) {
                    model = lineModel;
                }
            }
            if (problems == null && errors.isEmpty() && dropped[0] == 0) {
                pending.add(new BatchLines.Line(lineNo, customId.asText(), body.toString()));
                if (pending.size() == CHUNK) {
                    queue.insert(batchId, pending, System.currentTimeMillis());
                    pending.clear();
                }
            }
        }
        if (requests == 0) {
            error(errors, dropped, "empty_file", "The input file holds no requests.", null, 0);
        }
        if (!errors.isEmpty() || dropped[0] > 0) {
            if (dropped[0] > 0) {
                ObjectNode more = errors.addObject();
                more.put("code", "too_many_errors");
                more.put("message", dropped[0] + " more errors are not listed; fix the ones above and try again.");
                more.putNull("param");
                more.putNull("line");
            }
            ObjectNode list = Json.MAPPER.createObjectNode();
            list.put("object", "list");
            list.set("data", errors);
            return new Invalid(list, Math.min(requests, maxLines));
        }
        queue.insert(batchId, pending, System.currentTimeMillis());
        return new Valid(requests, model);
    }

    /** The body's own problems (model, stream, the endpoint's checks), reported; the first message or null. */
    private static String checkBody(ObjectNode request, String model, Predicate<String> served,
                                    BatchEndpoints.BodyCheck check,
                                    int lineNo, ArrayNode errors, int[] dropped) {
        if (model == null) {
            return error(errors, dropped, "missing_model", "Line " + lineNo + ": body.model is required.",
                    "body.model", lineNo);
        }
        if (!served.test(model)) {
            return error(errors, dropped, "model_not_found", "Line " + lineNo + ": the model '" + model
                    + "' is not served by this gateway.", "body.model", lineNo);
        }
        JsonNode stream = request.get("stream");
        if (stream != null && stream.asBoolean(false)) {
            return error(errors, dropped, "unsupported_parameter", "Line " + lineNo + ": stream is not supported in "
                    + "batches; each answer is written whole to the output file.", "body.stream", lineNo);
        }
        try {
            check.check(request);
            return null;
        } catch (ApiException e) {
            String param = e.error().param() == null ? "body" : "body." + e.error().param();
            return error(errors, dropped, e.error().code() == null ? "invalid_request" : e.error().code(),
                    "Line " + lineNo + ": " + e.error().message(), param, lineNo);
        } catch (RuntimeException e) {
            return error(errors, dropped, "invalid_request", "Line " + lineNo + ": the body is not a valid request.",
                    "body", lineNo);
        }
    }

    private static String text(ObjectNode node, String key) {
        JsonNode v = node.get(key);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    private static String error(ArrayNode errors, int[] dropped, String code, String message, String param, int line) {
        if (errors.size() >= MAX_ERRORS) {
            dropped[0]++;
            return message;
        }
        ObjectNode e = errors.addObject();
        e.put("code", code);
        e.put("message", message);
        if (param == null) {
            e.putNull("param");
        } else {
            e.put("param", param);
        }
        if (line > 0) {
            e.put("line", line);
        } else {
            e.putNull("line");
        }
        return message;
    }
}
