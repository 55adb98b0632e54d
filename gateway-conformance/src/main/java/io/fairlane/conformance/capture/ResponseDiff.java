package io.fairlane.conformance.capture;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.conformance.wire.RecordedResponse;
import io.fairlane.conformance.wire.SseEvent;
import io.fairlane.conformance.wire.StreamAssembly;
import java.util.ArrayList;
import java.util.List;

/**
 * Compares a replayed response with the captured one. Streams are compared as what a client ends up
 * holding (the reassembled completion: content, tool calls by index, finish reasons, usage) plus how they
 * end ({@code [DONE]}, an error event), never chunk by chunk: two servers cut the same text into different
 * chunks and both are right.
 */
final class ResponseDiff {

    private ResponseDiff() {
    }

    static List<Difference> compare(CaptureRecord record, RecordedResponse replayed) {
        CapturedResponse captured = record.response();
        boolean deterministic = record.textIsDeterministic();
        List<Difference> differences = new ArrayList<>();
        if (captured.status() != replayed.status()) {
            differences.add(new Difference("$status", Difference.Kind.STATUS, Difference.Severity.DIFFERENCE,
                    String.valueOf(captured.status()), String.valueOf(replayed.status())));
        }
        if (captured.isStream()) {
            if (!replayed.isEventStream()) {
                differences.add(new Difference("$stream", Difference.Kind.STREAM, Difference.Severity.DIFFERENCE,
                        "text/event-stream", replayed.contentType().isEmpty() ? "(no content type)"
                                : replayed.contentType()));
                return differences;
            }
            List<JsonNode> capturedChunks = new ArrayList<>();
            boolean capturedDone = false;
            JsonNode capturedError = null;
            for (CapturedEvent event : captured.events()) {
                if (event.isDone()) {
                    capturedDone = true;
                } else if (event.data().isObject() && event.data().has("error") && !event.data().has("choices")) {
                    capturedError = event.data();
                } else if (event.data().isObject()) {
                    capturedChunks.add(event.data());
                }
            }
            List<SseEvent> events = replayed.sse().events();
            boolean replayedDone = events.stream().anyMatch(SseEvent::isDone);
            JsonNode replayedError = events.stream().filter(SseEvent::isError).findFirst()
                    .flatMap(SseEvent::json).orElse(null);
            if (capturedDone != replayedDone) {
                differences.add(new Difference("$stream.done", Difference.Kind.STREAM, Difference.Severity.DIFFERENCE,
                        capturedDone ? "[DONE]" : "no [DONE]", replayedDone ? "[DONE]" : "no [DONE]"));
            }
            if ((capturedError == null) != (replayedError == null)) {
                differences.add(new Difference("$stream.error", Difference.Kind.STREAM, Difference.Severity.DIFFERENCE,
                        capturedError == null ? null : capturedError.toString(),
                        replayedError == null ? null : replayedError.toString()));
            } else if (capturedError != null) {
                differences.addAll(prefixed("$stream.error", JsonDiff.compare(capturedError, replayedError, deterministic)));
            }
            JsonNode a = StreamAssembly.of(capturedChunks).toCompletion();
            JsonNode b = StreamAssembly.of(replayed.sse().chunks()).toCompletion();
            differences.addAll(prefixed("$stream", JsonDiff.compare(a, b, deterministic)));
            return differences;
        }
        if (replayed.isEventStream()) {
            differences.add(new Difference("$stream", Difference.Kind.STREAM, Difference.Severity.DIFFERENCE,
                    "not a stream", "text/event-stream"));
            return differences;
        }
        if (captured.body() != null) {
            JsonNode target = replayed.json().orElse(null);
            if (target == null) {
                differences.add(new Difference("$", Difference.Kind.TYPE, Difference.Severity.DIFFERENCE,
                        "JSON body", replayed.body().length == 0 ? "empty body" : "a body that is not JSON"));
            } else {
                differences.addAll(JsonDiff.compare(captured.body(), target, deterministic));
            }
        } else if (captured.bodyText() != null && deterministic && !captured.bodyText().equals(replayed.text())) {
            differences.add(new Difference("$", Difference.Kind.VALUE, Difference.Severity.DIFFERENCE,
                    captured.bodyText(), replayed.text()));
        }
        return differences;
    }

    private static List<Difference> prefixed(String prefix, List<Difference> differences) {
        return differences.stream().map(d -> new Difference(prefix + d.path().substring(1), d.kind(), d.severity(),
                d.captured(), d.replayed())).toList();
    }
}
