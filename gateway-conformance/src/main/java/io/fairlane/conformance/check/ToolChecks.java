package io.fairlane.conformance.check;

import static io.fairlane.conformance.check.CheckContext.compact;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.conformance.wire.Exchange;
import io.fairlane.conformance.wire.StreamAssembly;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Tool calls, the most common silent break between servers and SDKs: the first delta of each call must
 * carry what accumulators key on (index, id, type, name), parallel calls need distinct indexes, the
 * argument fragments must join into JSON, and the finish reason must say {@code tool_calls}. The requests
 * use {@code tool_choice: "required"} so a conforming server has to call the tool.
 */
final class ToolChecks {

    static final String REFUSED = "the server refuses tool_choice 'required' with a 400 naming 'tool_choice'"
            + " (it cannot force a tool call)";

    private ToolChecks() {
    }

    /**
     * A server that cannot force a call (no constrained decoding) may say so with a 400 naming
     * {@code tool_choice}; that is honest, so the checks of these exchanges are then not applicable. A server
     * that refuses one of them and accepts the other is judged on both.
     */
    private static void requireAccepted(Exchange... exchanges) {
        for (Exchange exchange : exchanges) {
            if (!CheckContext.refusesParameter(exchange, "tool_choice")) {
                return;
            }
        }
        throw new NotApplicable(REFUSED);
    }

    static List<Check> all() {
        return List.of(
                new Check("tools.stream-first-delta", Suite.TOOLS,
                        "the first delta of each streamed call carries index, id, type 'function', name, arguments",
                        ToolChecks::firstDelta),
                new Check("tools.parallel-indexes", Suite.TOOLS,
                        "parallel streamed calls use distinct indexes 0, 1, ... and never share one",
                        ToolChecks::parallelIndexes),
                new Check("tools.arguments-json", Suite.TOOLS,
                        "each streamed call's argument fragments reassemble into a JSON object",
                        ToolChecks::argumentsJson),
                new Check("tools.finish-reason", Suite.TOOLS,
                        "finish_reason is 'tool_calls' whenever calls were emitted, streamed or not",
                        ToolChecks::finishReason),
                new Check("tools.message", Suite.TOOLS,
                        "a non-streamed call has id, type 'function', a declared name and JSON arguments",
                        ToolChecks::message));
    }

    /** The streamed calls of choice 0, or empty (with a failure recorded) when there are none. */
    private static Optional<StreamAssembly.Choice> streamedCalls(CheckContext context, Findings findings) {
        Exchange exchange = context.toolStream();
        requireAccepted(exchange);
        Optional<StreamAssembly> stream = CheckContext.okStream(exchange, findings);
        if (stream.isEmpty()) {
            return Optional.empty();
        }
        StreamAssembly.Choice choice = stream.get().choices().get(0);
        if (choice == null || choice.toolCalls().isEmpty()) {
            findings.fail("tool_choice 'required' was sent but the stream carries no tool call", exchange);
            return Optional.empty();
        }
        return Optional.of(choice);
    }

    private static void firstDelta(CheckContext context, Findings findings) {
        Exchange exchange = context.toolStream();
        requireAccepted(exchange);
        streamedCalls(context, findings).ifPresent(choice -> {
            for (StreamAssembly.ToolCall call : choice.toolCalls().values()) {
                JsonNode delta = call.firstDelta();
                String where = "the first delta of tool call index " + call.index();
                List<String> missing = new ArrayList<>();
                if (!delta.path("id").isTextual() || delta.path("id").asText().isEmpty()) {
                    missing.add("id");
                }
                if (!"function".equals(delta.path("type").asText(null))) {
                    missing.add("type 'function'");
                }
                if (!delta.path("function").path("name").isTextual() || delta.path("function").path("name").asText().isEmpty()) {
                    missing.add("function.name");
                }
                if (!delta.path("function").path("arguments").isTextual()) {
                    missing.add("function.arguments (a string, \"\" when empty)");
                }
                if (missing.isEmpty()) {
                    findings.observe(where + " carries id, type, name and arguments", exchange);
                } else {
                    findings.fail(where + " lacks " + String.join(", ", missing), exchange, compact(delta));
                }
            }
        });
    }

    private static void parallelIndexes(CheckContext context, Findings findings) {
        Exchange exchange = context.toolStream();
        Optional<StreamAssembly.Choice> calls = streamedCalls(context, findings);
        if (calls.isEmpty()) {
            return;
        }
        int distinctCalls = 0;
        for (StreamAssembly.ToolCall call : calls.get().toolCalls().values()) {
            distinctCalls += Math.max(1, call.ids().size());
            if (call.ids().size() > 1) {
                findings.fail("index " + call.index() + " is shared by " + call.ids().size() + " calls " + call.ids()
                        + " (accumulators merge them into one)", exchange);
            }
        }
        if (distinctCalls < 2) {
            throw new NotApplicable("the server made a single tool call, so parallel indexes were not exercised");
        }
        List<Integer> indexes = List.copyOf(calls.get().toolCalls().keySet());
        for (int i = 0; i < indexes.size(); i++) {
            if (indexes.get(i) != i) {
                findings.fail("tool call indexes are " + indexes + ", not 0.." + (indexes.size() - 1), exchange);
                break;
            }
        }
        if (!findings.failed()) {
            findings.observe(distinctCalls + " parallel calls at indexes " + indexes, exchange);
        }
    }

    private static void argumentsJson(CheckContext context, Findings findings) {
        Exchange exchange = context.toolStream();
        streamedCalls(context, findings).ifPresent(choice -> {
            for (StreamAssembly.ToolCall call : choice.toolCalls().values()) {
                String arguments = call.arguments();
                if (isJsonObject(arguments)) {
                    findings.observe("index " + call.index() + " arguments " + arguments, exchange);
                } else {
                    findings.fail("index " + call.index() + " arguments do not reassemble into a JSON object: "
                            + Evidence.shorten(arguments, 300), exchange);
                }
            }
        });
    }

    private static void finishReason(CheckContext context, Findings findings) {
        Exchange streamed = context.toolStream();
        Exchange plain = context.toolChat();
        requireAccepted(streamed, plain);
        if (CheckContext.refusesParameter(streamed, "tool_choice")) {
            findings.fail("tool_choice 'required' is refused when streamed but accepted when not", streamed);
            return;
        }
        streamedCalls(context, findings).ifPresent(choice -> {
            List<String> reasons = choice.finishReasons();
            if (findings.require(reasons.equals(List.of("tool_calls")),
                    "streamed: calls were emitted but finish_reason is " + reasons, streamed)) {
                findings.observe("streamed: finish_reason tool_calls", streamed);
            }
        });
        CheckContext.okJson(plain, findings).ifPresent(json -> {
            JsonNode choice = json.path("choices").path(0);
            if (choice.path("message").path("tool_calls").isArray() && !choice.path("message").path("tool_calls").isEmpty()) {
                String reason = choice.path("finish_reason").asText(null);
                if (findings.require("tool_calls".equals(reason),
                        "not streamed: calls were emitted but finish_reason is " + reason, plain)) {
                    findings.observe("not streamed: finish_reason tool_calls", plain);
                }
            } else {
                findings.fail("not streamed: tool_choice 'required' was sent but the message has no tool_calls", plain);
            }
        });
    }

    private static void message(CheckContext context, Findings findings) {
        Exchange exchange = context.toolChat();
        requireAccepted(exchange);
        CheckContext.okJson(exchange, findings).ifPresent(json -> {
            JsonNode calls = json.path("choices").path(0).path("message").path("tool_calls");
            if (!calls.isArray() || calls.isEmpty()) {
                findings.fail("tool_choice 'required' was sent but message.tool_calls is " + calls, exchange);
                return;
            }
            Set<String> ids = new HashSet<>();
            for (int i = 0; i < calls.size(); i++) {
                JsonNode call = calls.get(i);
                String where = "tool_calls[" + i + "]";
                String id = call.path("id").asText("");
                findings.require(!id.isEmpty(), where + " has no id", exchange);
                findings.require(id.isEmpty() || ids.add(id), where + " repeats id " + id, exchange);
                findings.require("function".equals(call.path("type").asText(null)),
                        where + " has type " + call.path("type"), exchange);
                findings.require(CheckContext.TOOL_NAME.equals(call.path("function").path("name").asText(null)),
                        where + " names function " + call.path("function").path("name") + ", not a declared tool",
                        exchange);
                JsonNode arguments = call.path("function").path("arguments");
                findings.require(arguments.isTextual() && isJsonObject(arguments.asText()),
                        where + " arguments are not a string holding a JSON object: " + compact(arguments), exchange);
            }
            if (!findings.failed()) {
                findings.observe(calls.size() + " well-formed tool calls: " + compact(calls), exchange);
            }
        });
    }

    static boolean isJsonObject(String text) {
        try {
            return CheckContext.JSON.readTree(text) instanceof com.fasterxml.jackson.databind.node.ObjectNode;
        } catch (IOException e) {
            return false;
        }
    }
}
