package io.fairlane.conformance.check;

import static io.fairlane.conformance.check.CheckContext.compact;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.conformance.wire.Exchange;
import io.fairlane.conformance.wire.SseEvent;
import io.fairlane.conformance.wire.SseTranscript;
import io.fairlane.conformance.wire.StreamAssembly;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** SSE framing and the invariants every chat completion chunk stream keeps. */
final class StreamChecks {

    static final Set<String> FINISH_REASONS = Set.of("stop", "length", "tool_calls", "content_filter", "function_call");

    private StreamChecks() {
    }

    static List<Check> all() {
        return List.of(
                new Check("sse.content-type", Suite.STREAMING,
                        "streamed responses are served as Content-Type: text/event-stream", StreamChecks::contentType),
                new Check("sse.framing", Suite.STREAMING,
                        "each event is one 'data: <json>' line followed by a blank line", StreamChecks::framing),
                new Check("sse.done", Suite.STREAMING,
                        "every stream ends with exactly one 'data: [DONE]' and nothing after it", StreamChecks::done),
                new Check("chunk.identity", Suite.STREAMING,
                        "every chunk repeats the same id, created and model", StreamChecks::identity),
                new Check("chunk.role-first", Suite.STREAMING,
                        "the first delta of each choice carries role 'assistant'", StreamChecks::roleFirst),
                new Check("chunk.finish-reason", Suite.STREAMING,
                        "each choice ends with exactly one finish_reason and no delta after it",
                        StreamChecks::finishReason));
    }

    private static List<Exchange> streams(CheckContext context, Findings findings) {
        Exchange plain = context.streamChat();
        if (!plain.ok()) {
            findings.fail("the plain streamed chat completion was not accepted: "
                    + plain.transportError().orElse("status " + plain.status()), plain);
        }
        return context.acceptedStreams();
    }

    private static void contentType(CheckContext context, Findings findings) {
        for (Exchange exchange : streams(context, findings)) {
            String type = exchange.responseOrThrow().contentType();
            if (findings.require(type.toLowerCase(Locale.ROOT).startsWith("text/event-stream"),
                    exchange.purpose() + ": Content-Type is '" + type + "'", exchange)) {
                findings.observe(exchange.purpose() + ": Content-Type " + type, exchange);
            }
        }
    }

    private static void framing(CheckContext context, Findings findings) {
        for (Exchange exchange : streams(context, findings)) {
            SseTranscript sse = exchange.responseOrThrow().sse();
            for (String problem : sse.framingProblems().stream().limit(5).toList()) {
                findings.fail(exchange.purpose() + ": " + problem, exchange);
            }
            if (sse.framingProblems().isEmpty()) {
                findings.observe(exchange.purpose() + ": " + sse.events().size() + " well-framed events", exchange);
            }
        }
    }

    private static void done(CheckContext context, Findings findings) {
        for (Exchange exchange : streams(context, findings)) {
            List<SseEvent> events = exchange.responseOrThrow().sse().events();
            long doneCount = events.stream().filter(SseEvent::isDone).count();
            if (doneCount == 0) {
                findings.fail(exchange.purpose() + ": no 'data: [DONE]' event", exchange);
            } else if (doneCount > 1) {
                findings.fail(exchange.purpose() + ": " + doneCount + " '[DONE]' events", exchange);
            } else if (!events.getLast().isDone()) {
                findings.fail(exchange.purpose() + ": events follow '[DONE]'", exchange);
            } else {
                findings.observe(exchange.purpose() + ": ends with [DONE]", exchange);
            }
        }
    }

    private static void identity(CheckContext context, Findings findings) {
        for (Exchange exchange : streams(context, findings)) {
            List<JsonNode> chunks = exchange.responseOrThrow().sse().chunks();
            if (chunks.isEmpty()) {
                findings.fail(exchange.purpose() + ": no chunks", exchange);
                continue;
            }
            JsonNode first = chunks.getFirst();
            boolean ok = findings.require(first.path("id").isTextual() && !first.path("id").asText().isEmpty(),
                    exchange.purpose() + ": the first chunk has no string id", exchange)
                    & findings.require(first.path("created").isIntegralNumber(),
                    exchange.purpose() + ": the first chunk has no integer created", exchange)
                    & findings.require(first.path("model").isTextual(),
                    exchange.purpose() + ": the first chunk has no string model", exchange);
            for (int i = 1; i < chunks.size() && ok; i++) {
                JsonNode chunk = chunks.get(i);
                for (String field : List.of("id", "created", "model")) {
                    if (!first.path(field).equals(chunk.path(field))) {
                        findings.fail(exchange.purpose() + ": chunk " + i + " has " + field + " " + chunk.path(field)
                                + " where the first had " + first.path(field), exchange, compact(chunk));
                        ok = false;
                        break;
                    }
                }
            }
            if (ok) {
                findings.observe(exchange.purpose() + ": " + chunks.size() + " chunks share id, created and model",
                        exchange);
            }
        }
    }

    private static void roleFirst(CheckContext context, Findings findings) {
        for (Exchange exchange : streams(context, findings)) {
            StreamAssembly stream = StreamAssembly.of(exchange.responseOrThrow().sse().chunks());
            if (stream.choices().isEmpty()) {
                findings.fail(exchange.purpose() + ": no chunk carries a choice", exchange);
            }
            for (StreamAssembly.Choice choice : stream.choices().values()) {
                JsonNode role = choice.firstDelta().path("role");
                if (findings.require(role.isTextual() && role.asText().equals("assistant"),
                        exchange.purpose() + ": the first delta of choice " + choice.index()
                                + " has role " + (role.isMissingNode() ? "(absent)" : role.toString()),
                        exchange)) {
                    findings.observe(exchange.purpose() + ": choice " + choice.index() + " opens with role assistant",
                            exchange);
                }
            }
        }
    }

    private static void finishReason(CheckContext context, Findings findings) {
        for (Exchange exchange : streams(context, findings)) {
            StreamAssembly stream = StreamAssembly.of(exchange.responseOrThrow().sse().chunks());
            for (StreamAssembly.Choice choice : stream.choices().values()) {
                String where = exchange.purpose() + ": choice " + choice.index();
                List<String> reasons = choice.finishReasons();
                if (reasons.isEmpty()) {
                    findings.fail(where + " never gets a finish_reason", exchange);
                } else if (reasons.size() > 1) {
                    findings.fail(where + " gets " + reasons.size() + " finish_reasons " + reasons, exchange);
                } else if (!FINISH_REASONS.contains(reasons.getFirst())) {
                    findings.fail(where + " ends with unknown finish_reason '" + reasons.getFirst() + "'", exchange);
                } else if (choice.deltaAfterFinish()) {
                    findings.fail(where + " receives deltas after its finish_reason", exchange);
                } else {
                    findings.observe(where + " ends with finish_reason " + reasons.getFirst(), exchange);
                }
            }
        }
    }
}
