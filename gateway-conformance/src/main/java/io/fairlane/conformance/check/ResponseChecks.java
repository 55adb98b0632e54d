package io.fairlane.conformance.check;

import static io.fairlane.conformance.check.CheckContext.compact;
import static io.fairlane.conformance.check.CheckContext.isInteger;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.conformance.wire.EventStream;
import io.fairlane.conformance.wire.Exchange;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The Responses API ({@code /v1/responses}) as OpenAI's SDKs and agent frameworks read it: the response object and
 * its output items, the event stream's order and numbering, the text and arguments its deltas assemble into, usage,
 * function calls, errors before and after the stream began, and a stored response's round trip (retrieve,
 * continue, list input items, delete).
 */
final class ResponseChecks {

    private static final Set<String> TERMINAL = Set.of("response.completed", "response.incomplete",
            "response.failed");

    private ResponseChecks() {
    }

    static List<Check> all() {
        return List.of(
                new Check("responses.object", Suite.RESPONSES,
                        "a response has id, object 'response', a status and well-formed output items",
                        ResponseChecks::object),
                new Check("responses.stream-order", Suite.RESPONSES,
                        "created and in_progress first, each item added before its deltas and done after, one "
                                + "terminal event last", ResponseChecks::streamOrder),
                new Check("responses.sequence-numbers", Suite.RESPONSES,
                        "every event is named by its type and numbered 0, 1, 2, ... with no [DONE]",
                        ResponseChecks::sequenceNumbers),
                new Check("responses.stream-text", Suite.RESPONSES,
                        "text deltas join into the done text and the completed response's text",
                        ResponseChecks::streamText),
                new Check("responses.usage", Suite.RESPONSES,
                        "usage has integer input, output and total tokens with cached and reasoning details",
                        ResponseChecks::usage),
                new Check("responses.function-call", Suite.RESPONSES,
                        "a forced call is a function_call item with call_id, the declared name and JSON arguments",
                        ResponseChecks::functionCall),
                new Check("responses.function-call-stream", Suite.RESPONSES,
                        "a streamed call is added with call_id and name, and its argument deltas join into its "
                                + "arguments", ResponseChecks::functionCallStream),
                new Check("responses.errors", Suite.RESPONSES,
                        "an unknown input item type and a missing previous response are 4xx naming the parameter",
                        ResponseChecks::errors),
                new Check("responses.mid-stream-error", Suite.RESPONSES,
                        "a failure after the stream began is a final 'error' event, with no completion after it",
                        ResponseChecks::midStreamError),
                new Check("responses.store-roundtrip", Suite.RESPONSES,
                        "a stored response is retrieved as answered, continued, listed and deleted",
                        ResponseChecks::storeRoundTrip));
    }

    // ---------------------------------------------------------------- helpers

    private static String quote(String text) {
        return text == null ? "nothing" : "\"" + Evidence.shorten(text, 200) + "\"";
    }

    private static Optional<EventStream> okEvents(Exchange exchange, Findings findings) {
        if (!exchange.ok()) {
            findings.fail(exchange.purpose() + ": expected a 2xx stream, got "
                    + exchange.transportError().orElse("status " + exchange.status()), exchange);
            return Optional.empty();
        }
        return Optional.of(EventStream.parse(exchange.responseOrThrow().body()));
    }

    /** The response a stream's terminal event carries, or empty. */
    private static Optional<JsonNode> terminalResponse(EventStream stream) {
        List<JsonNode> events = stream.jsons();
        if (events.isEmpty() || !TERMINAL.contains(events.getLast().path("type").asText())) {
            return Optional.empty();
        }
        return Optional.of(events.getLast().path("response"));
    }

    /** The problems of one output item, or none. */
    static List<String> itemProblems(JsonNode item, String where) {
        List<String> problems = new ArrayList<>();
        String type = item.path("type").asText("");
        if (!item.path("id").isTextual() && !type.equals("function_call")) {
            problems.add(where + " has no id");
        }
        switch (type) {
            case "message" -> {
                if (!"assistant".equals(item.path("role").asText(null))) {
                    problems.add(where + " is a message whose role is " + item.path("role") + ", not 'assistant'");
                }
                if (!item.path("content").isArray()) {
                    problems.add(where + " has no content array");
                }
                for (JsonNode part : item.path("content")) {
                    String partType = part.path("type").asText("");
                    if (partType.equals("output_text")) {
                        if (!part.path("text").isTextual() || !part.path("annotations").isArray()) {
                            problems.add(where + " has an output_text part without text or annotations: "
                                    + compact(part));
                        }
                    } else if (!partType.equals("refusal")) {
                        problems.add(where + " has a content part of type '" + partType + "'");
                    }
                }
            }
            case "function_call" -> {
                for (String field : List.of("call_id", "name", "arguments")) {
                    if (!item.path(field).isTextual()) {
                        problems.add(where + " is a function_call without a string " + field);
                    }
                }
            }
            case "reasoning" -> {
                if (!item.path("summary").isArray()) {
                    problems.add(where + " is a reasoning item without a summary array");
                }
            }
            default -> problems.add(where + " has type '" + type + "'");
        }
        return problems;
    }

    static List<String> usageProblems(JsonNode usage, String where) {
        List<String> problems = new ArrayList<>();
        if (!usage.isObject()) {
            return List.of(where + " has no usage object");
        }
        for (String field : List.of("input_tokens", "output_tokens", "total_tokens")) {
            if (!isInteger(usage.get(field))) {
                problems.add(where + ": usage." + field + " is " + usage.get(field) + ", not an integer");
            }
        }
        if (!isInteger(usage.path("input_tokens_details").get("cached_tokens"))) {
            problems.add(where + ": usage.input_tokens_details.cached_tokens is not an integer");
        }
        if (!isInteger(usage.path("output_tokens_details").get("reasoning_tokens"))) {
            problems.add(where + ": usage.output_tokens_details.reasoning_tokens is not an integer");
        }
        if (problems.isEmpty() && usage.path("total_tokens").asInt() != usage.path("input_tokens").asInt()
                + usage.path("output_tokens").asInt()) {
            problems.add(where + ": total_tokens is not input_tokens + output_tokens: " + compact(usage));
        }
        return problems;
    }

    // ---------------------------------------------------------------- checks

    private static void object(CheckContext context, Findings findings) {
        Exchange exchange = ResponsesTraffic.plain(context);
        CheckContext.okJson(exchange, findings).ifPresent(r -> {
            List<String> problems = new ArrayList<>();
            if (!r.path("id").isTextual() || r.path("id").asText().isEmpty()) {
                problems.add("the response has no id");
            }
            if (!"response".equals(r.path("object").asText(null))) {
                problems.add("object is " + r.path("object") + ", not 'response'");
            }
            String status = r.path("status").asText("");
            if (!status.equals("completed") && !status.equals("incomplete")) {
                problems.add("status is '" + status + "', not completed or incomplete");
            }
            if (status.equals("incomplete") && !r.path("incomplete_details").path("reason").isTextual()) {
                problems.add("an incomplete response without incomplete_details.reason");
            }
            if (!r.path("output").isArray() || r.path("output").isEmpty()) {
                problems.add("output is " + r.path("output") + ", not a non-empty array");
            }
            for (int i = 0; i < r.path("output").size(); i++) {
                problems.addAll(itemProblems(r.path("output").get(i), "output[" + i + "]"));
            }
            if (problems.isEmpty()) {
                findings.observe(status + " response with " + r.path("output").size() + " output items", exchange);
            } else {
                problems.forEach(p -> findings.fail(p, exchange, compact(r)));
            }
        });
    }

    private static void streamOrder(CheckContext context, Findings findings) {
        for (Exchange exchange : List.of(ResponsesTraffic.stream(context), ResponsesTraffic.toolsStream(context))) {
            if (CheckContext.refusesParameter(exchange, "tool_choice")) {
                continue;
            }
            okEvents(exchange, findings).ifPresent(stream -> order(stream, exchange, findings));
        }
    }

    private static void order(EventStream stream, Exchange exchange, Findings findings) {
        List<String> types = stream.types();
        int before = findings.failures().size();
        findings.require(types.size() >= 3, exchange.purpose() + ": only " + types.size() + " events", exchange);
        if (types.size() < 3) {
            return;
        }
        findings.require("response.created".equals(types.get(0)), exchange.purpose()
                + ": the first event is " + types.get(0) + ", not response.created", exchange);
        findings.require("response.in_progress".equals(types.get(1)), exchange.purpose()
                + ": the second event is " + types.get(1) + ", not response.in_progress", exchange);
        long terminals = types.stream().filter(TERMINAL::contains).count();
        findings.require(terminals == 1 && TERMINAL.contains(types.getLast()), exchange.purpose()
                + ": " + terminals + " terminal events, the last event being " + types.getLast(), exchange);
        Map<Integer, String> phase = new HashMap<>(); // output_index -> added | done
        Map<String, Boolean> partOpen = new HashMap<>();
        List<JsonNode> events = stream.jsons();
        int done = 0;
        for (int i = 0; i < events.size(); i++) {
            JsonNode e = events.get(i);
            String type = e.path("type").asText();
            if (!e.has("output_index")) {
                continue;
            }
            int index = e.path("output_index").asInt();
            String where = exchange.purpose() + ": event " + i + " (" + type + ", output_index " + index + ")";
            switch (type) {
                case "response.output_item.added" -> findings.require(phase.put(index, "added") == null,
                        where + " adds an item that was added before", exchange);
                case "response.output_item.done" -> {
                    findings.require("added".equals(phase.put(index, "done")), where + " ends an item that was not "
                            + "open", exchange);
                    done++;
                }
                default -> {
                    findings.require("added".equals(phase.get(index)), where + " comes "
                            + (phase.containsKey(index) ? "after its item was done" : "before its item was added"),
                            exchange);
                    String part = e.path("item_id").asText() + "/" + e.path("content_index").asInt();
                    if (type.equals("response.content_part.added")) {
                        partOpen.put(part, true);
                    } else if (type.equals("response.content_part.done")) {
                        partOpen.put(part, false);
                    } else if (type.startsWith("response.output_text.")) {
                        findings.require(Boolean.TRUE.equals(partOpen.get(part)), where + " is outside its content "
                                + "part (content_part.added must come first)", exchange);
                    }
                }
            }
        }
        terminalResponse(stream).ifPresent(r -> findings.require(r.path("output").size() == phase.size(),
                exchange.purpose() + ": the final response holds " + r.path("output").size() + " items, the stream "
                        + "added " + phase.size(), exchange));
        if (findings.failures().size() == before) {
            findings.observe(exchange.purpose() + ": " + types.size() + " events, " + done + " items, in order",
                    exchange);
        }
    }

    private static void sequenceNumbers(CheckContext context, Findings findings) {
        for (Exchange exchange : List.of(ResponsesTraffic.stream(context), ResponsesTraffic.toolsStream(context))) {
            if (CheckContext.refusesParameter(exchange, "tool_choice")) {
                continue;
            }
            okEvents(exchange, findings).ifPresent(stream -> {
                stream.problems().forEach(p -> findings.fail(exchange.purpose() + ": " + p, exchange));
                List<EventStream.Event> events = stream.events();
                for (int i = 0; i < events.size(); i++) {
                    EventStream.Event e = events.get(i);
                    JsonNode n = e.json().map(j -> j.get("sequence_number")).orElse(null);
                    if (!isInteger(n) || n.asInt() != i) {
                        findings.fail(exchange.purpose() + ": event " + i + " (" + e.type() + ") has sequence_number "
                                + n + ", not " + i, exchange);
                        break;
                    }
                    if (e.name() != null && !e.name().equals(e.type())) {
                        findings.fail(exchange.purpose() + ": event " + i + " is named '" + e.name() + "' but its "
                                + "type is '" + e.type() + "'", exchange);
                        break;
                    }
                }
                if (!findings.failed()) {
                    findings.observe(exchange.purpose() + ": events 0.." + (events.size() - 1) + ", each named",
                            exchange);
                }
            });
        }
    }

    private static void streamText(CheckContext context, Findings findings) {
        Exchange exchange = ResponsesTraffic.stream(context);
        okEvents(exchange, findings).ifPresent(stream -> {
            Map<String, StringBuilder> deltas = new LinkedHashMap<>();
            Map<String, String> done = new LinkedHashMap<>();
            for (JsonNode e : stream.jsons()) {
                String key = e.path("item_id").asText() + "/" + e.path("content_index").asInt();
                switch (e.path("type").asText()) {
                    case "response.output_text.delta" -> deltas.computeIfAbsent(key, k -> new StringBuilder())
                            .append(e.path("delta").asText());
                    case "response.output_text.done" -> done.put(key, e.path("text").asText());
                    default -> {
                    }
                }
            }
            Optional<JsonNode> response = terminalResponse(stream);
            if (response.isEmpty()) {
                findings.fail("the stream has no terminal event carrying the response", exchange);
                return;
            }
            Map<String, String> finalText = new HashMap<>();
            for (JsonNode item : response.get().path("output")) {
                for (int p = 0; p < item.path("content").size(); p++) {
                    finalText.put(item.path("id").asText() + "/" + p, item.path("content").get(p).path("text")
                            .asText());
                }
            }
            if (done.isEmpty()) {
                findings.fail("the stream carries no response.output_text.done", exchange);
            }
            done.forEach((key, text) -> {
                String joined = deltas.getOrDefault(key, new StringBuilder()).toString();
                findings.require(joined.equals(text), key + ": the deltas join into " + quote(joined)
                        + " but output_text.done says " + quote(text), exchange);
                findings.require(text.equals(finalText.get(key)), key + ": output_text.done says "
                        + quote(text) + " but the final response says "
                        + quote(finalText.get(key)), exchange);
            });
            if (!findings.failed()) {
                findings.observe(done.size() + " text parts assembled: " + done.values(), exchange);
            }
        });
    }

    private static void usage(CheckContext context, Findings findings) {
        Exchange plain = ResponsesTraffic.plain(context);
        CheckContext.okJson(plain, findings).ifPresent(r -> usageProblems(r.path("usage"), "the response")
                .forEach(p -> findings.fail(p, plain, compact(r.path("usage")))));
        Exchange streamed = ResponsesTraffic.stream(context);
        okEvents(streamed, findings).ifPresent(stream -> terminalResponse(stream).ifPresentOrElse(
                r -> usageProblems(r.path("usage"), "the streamed response").forEach(p -> findings.fail(p, streamed,
                        compact(r.path("usage")))),
                () -> findings.fail("the stream has no terminal event carrying the response", streamed)));
        if (!findings.failed()) {
            findings.observe("usage complete in both", plain);
        }
    }

    private static List<JsonNode> calls(JsonNode response) {
        List<JsonNode> calls = new ArrayList<>();
        response.path("output").forEach(item -> {
            if ("function_call".equals(item.path("type").asText())) {
                calls.add(item);
            }
        });
        return calls;
    }

    private static void requireForcedCall(Exchange exchange) {
        if (CheckContext.refusesParameter(exchange, "tool_choice", "tools")) {
            throw new NotApplicable(ToolChecks.REFUSED);
        }
    }

    private static void functionCall(CheckContext context, Findings findings) {
        Exchange exchange = ResponsesTraffic.tools(context);
        requireForcedCall(exchange);
        CheckContext.okJson(exchange, findings).ifPresent(r -> {
            List<JsonNode> calls = calls(r);
            if (calls.isEmpty()) {
                findings.fail("tool_choice 'required' was sent but the output has no function_call item", exchange,
                        compact(r.path("output")));
                return;
            }
            for (JsonNode call : calls) {
                findings.require(!call.path("call_id").asText("").isEmpty(), "a function_call without call_id",
                        exchange);
                findings.require(CheckContext.TOOL_NAME.equals(call.path("name").asText(null)), "a function_call "
                        + "names " + call.path("name") + ", not a declared tool", exchange);
                findings.require(call.path("arguments").isTextual()
                        && ToolChecks.isJsonObject(call.path("arguments").asText()), "arguments "
                        + compact(call.path("arguments")) + " are not a string holding a JSON object", exchange);
            }
            if (!findings.failed()) {
                findings.observe(calls.size() + " function calls: " + compact(CheckContext.JSON.valueToTree(calls)),
                        exchange);
            }
        });
    }

    private static void functionCallStream(CheckContext context, Findings findings) {
        Exchange exchange = ResponsesTraffic.toolsStream(context);
        requireForcedCall(exchange);
        okEvents(exchange, findings).ifPresent(stream -> {
            Map<String, JsonNode> added = new LinkedHashMap<>();
            Map<String, StringBuilder> deltas = new HashMap<>();
            Map<String, String> done = new HashMap<>();
            for (JsonNode e : stream.jsons()) {
                switch (e.path("type").asText()) {
                    case "response.output_item.added" -> {
                        if ("function_call".equals(e.path("item").path("type").asText())) {
                            added.put(e.path("item").path("id").asText(), e.path("item"));
                        }
                    }
                    case "response.function_call_arguments.delta" -> deltas.computeIfAbsent(
                            e.path("item_id").asText(), k -> new StringBuilder()).append(e.path("delta").asText());
                    case "response.function_call_arguments.done" -> done.put(e.path("item_id").asText(),
                            e.path("arguments").asText());
                    default -> {
                    }
                }
            }
            if (added.isEmpty()) {
                findings.fail("tool_choice 'required' was sent but no function_call item was added", exchange);
                return;
            }
            Map<String, JsonNode> finalCalls = new HashMap<>();
            terminalResponse(stream).ifPresent(r -> calls(r).forEach(c -> finalCalls.put(c.path("id").asText(), c)));
            added.forEach((id, item) -> {
                findings.require(!item.path("call_id").asText("").isEmpty() && CheckContext.TOOL_NAME.equals(
                        item.path("name").asText(null)), "the added item " + id + " lacks call_id or the declared "
                        + "name: " + compact(item), exchange);
                String joined = deltas.getOrDefault(id, new StringBuilder()).toString();
                findings.require(joined.equals(done.get(id)), id + ": the argument deltas join into "
                        + quote(joined) + " but arguments.done says " + quote(done.get(id)),
                        exchange);
                findings.require(ToolChecks.isJsonObject(joined), id + ": the arguments " + quote(joined)
                        + " are not a JSON object", exchange);
                JsonNode last = finalCalls.get(id);
                findings.require(last != null && joined.equals(last.path("arguments").asText()), id + ": the final "
                        + "response's call has arguments " + (last == null ? "(no such call)"
                        : quote(last.path("arguments").asText())), exchange);
            });
            if (!findings.failed()) {
                findings.observe(added.size() + " streamed calls assembled", exchange);
            }
        });
    }

    private static void errors(CheckContext context, Findings findings) {
        Exchange bad = ResponsesTraffic.badItem(context);
        if (findings.require(bad.status() == 400, bad.purpose() + ": expected 400, got "
                + bad.transportError().orElse(String.valueOf(bad.status())), bad)) {
            CheckContext.errorObject(bad).ifPresentOrElse(error -> {
                findings.require(error.path("param").asText("").startsWith("input"), bad.purpose()
                        + ": error.param is " + error.path("param") + ", not the input item", bad);
                findings.require(error.path("message").isTextual() && error.has("type") && error.has("code"),
                        bad.purpose() + ": the error lacks message, type or code: " + compact(error), bad);
            }, () -> findings.fail(bad.purpose() + ": the body has no error object", bad));
        }
        Exchange missing = ResponsesTraffic.missingPrevious(context);
        if (findings.require(missing.status() == 400 || missing.status() == 404, missing.purpose()
                + ": expected 400 or 404, got " + missing.transportError().orElse(String.valueOf(missing.status())),
                missing)) {
            findings.require(CheckContext.errorObject(missing).isPresent(), missing.purpose()
                    + ": the body has no error object", missing);
        }
        if (!findings.failed()) {
            findings.observe("400 " + CheckContext.errorObject(bad).map(CheckContext::compact).orElse("") + "; "
                    + missing.status() + " for a missing previous response", bad);
        }
    }

    private static void midStreamError(CheckContext context, Findings findings) {
        if (context.options().midStreamErrorModel().isEmpty() && context.options().midStreamErrorHeaders().isEmpty()) {
            throw new NotApplicable("no --mid-stream-error-model or --mid-stream-error-header given to provoke one");
        }
        Exchange exchange = ResponsesTraffic.midStream(context);
        if (!exchange.ok()) {
            findings.fail("the provoking stream answered " + exchange.transportError().orElse("status "
                    + exchange.status()) + "; the error must come after streaming began", exchange);
            return;
        }
        List<String> types = EventStream.parse(exchange.responseOrThrow().body()).types();
        int errorAt = types.indexOf("error");
        if (errorAt < 0) {
            findings.fail("the stream carries no 'error' event (" + types.size() + " events, the last "
                    + (types.isEmpty() ? "none" : types.getLast()) + ")", exchange);
            return;
        }
        findings.require(errorAt > 0 && "response.created".equals(types.getFirst()), "the error event is not "
                + "preceded by response.created, so the stream had not begun", exchange);
        findings.require(errorAt == types.size() - 1, (types.size() - 1 - errorAt) + " events follow the error event",
                exchange);
        findings.require(types.stream().noneMatch(t -> t != null && (t.equals("response.completed")
                || t.equals("response.incomplete"))), "the failed stream also says the response completed", exchange);
        JsonNode error = EventStream.parse(exchange.responseOrThrow().body()).jsons().get(errorAt);
        findings.require(error.path("message").isTextual() && isInteger(error.get("sequence_number")),
                "the error event lacks a message or a sequence_number: " + compact(error), exchange);
        if (!findings.failed()) {
            findings.observe("after " + errorAt + " events: " + compact(error), exchange);
        }
    }

    private static void storeRoundTrip(CheckContext context, Findings findings) {
        Exchange plain = ResponsesTraffic.plain(context);
        Optional<String> id = ResponsesTraffic.plainId(context);
        if (id.isEmpty() || id.get() == null) {
            findings.fail("the plain response was not answered, so there is nothing to retrieve", plain);
            return;
        }
        Exchange got = ResponsesTraffic.retrieve(context, "plain", id.get());
        CheckContext.okJson(got, findings).ifPresent(stored -> {
            JsonNode answered = plain.responseOrThrow().json().orElseThrow();
            findings.require(stored.path("id").equals(answered.path("id"))
                    && stored.path("output").equals(answered.path("output")), "the stored response differs from "
                    + "the one answered: " + compact(stored), got);
        });
        Exchange continued = ResponsesTraffic.continued(context, id.get());
        Optional<JsonNode> next = CheckContext.okJson(continued, findings);
        if (next.isEmpty()) {
            return;
        }
        findings.require(id.get().equals(next.get().path("previous_response_id").asText(null)), "the continued "
                + "response's previous_response_id is " + next.get().path("previous_response_id"), continued);
        String nextId = next.get().path("id").asText();
        Exchange items = ResponsesTraffic.inputItems(context, nextId);
        CheckContext.okJson(items, findings).ifPresent(list -> {
            String texts = list.path("data").toString();
            findings.require("list".equals(list.path("object").asText(null)) && list.path("has_more").isBoolean(),
                    "input_items is not a list with has_more: " + compact(list), items);
            findings.require(texts.contains(ResponsesTraffic.FIRST_INPUT) && texts.contains(
                    ResponsesTraffic.SECOND_INPUT), "input_items lists " + compact(list.path("data"))
                    + ", not both turns' inputs", items);
        });
        Exchange deleted = ResponsesTraffic.delete(context, nextId);
        CheckContext.okJson(deleted, findings).ifPresent(d -> findings.require(d.path("deleted").asBoolean(false)
                && nextId.equals(d.path("id").asText(null)), "the delete answered " + compact(d), deleted));
        Exchange gone = ResponsesTraffic.retrieve(context, "deleted", nextId);
        findings.require(gone.status() == 404 && CheckContext.errorObject(gone).isPresent(), "a deleted response "
                + "answered " + gone.status() + ", not a 404 with an error", gone);
        if (!findings.failed()) {
            findings.observe("retrieved, continued, listed, deleted and then not found", got);
        }
    }
}
