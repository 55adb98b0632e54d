package io.fairlane.conformance.check;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.conformance.schema.OpenApiSchemas;
import io.fairlane.conformance.schema.SchemaKind;
import io.fairlane.conformance.wire.EventStream;
import io.fairlane.conformance.wire.Exchange;
import io.fairlane.conformance.wire.SseEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Every response and chunk the run saw, validated against the OpenAPI document. These checks run last so
 * they cover the traffic of all other checks; a kind of response that no check asked for is not applicable.
 */
final class SchemaChecks {

    private SchemaChecks() {
    }

    static List<Check> all() {
        return List.of(
                schemaCheck("schema.chat-completion", SchemaKind.CHAT_COMPLETION, "chat completions"),
                schemaCheck("schema.chat-completion-chunk", SchemaKind.CHAT_COMPLETION_CHUNK, "stream chunks"),
                schemaCheck("schema.embeddings", SchemaKind.EMBEDDINGS, "embedding responses"),
                new Check("schema.models", Suite.SCHEMA, "model lists and model objects match the OpenAPI document",
                        (context, findings) -> validate(context, findings,
                                List.of(SchemaKind.MODEL_LIST, SchemaKind.MODEL))),
                schemaCheck("schema.response", SchemaKind.RESPONSE, "Responses API response objects"),
                schemaCheck("schema.response-stream-event", SchemaKind.RESPONSE_STREAM_EVENT,
                        "Responses API stream events"),
                schemaCheck("schema.response-items", SchemaKind.RESPONSE_ITEM_LIST, "input item lists"),
                schemaCheck("schema.error", SchemaKind.ERROR, "error bodies and error events"),
                new Check("schema.files-batches", Suite.SCHEMA,
                        "file and batch objects and their lists match the OpenAPI document",
                        (context, findings) -> validate(context, findings, List.of(SchemaKind.FILE,
                                SchemaKind.FILE_LIST, SchemaKind.FILE_DELETED, SchemaKind.BATCH,
                                SchemaKind.BATCH_LIST))));
    }

    private static Check schemaCheck(String id, SchemaKind kind, String what) {
        return new Check(id, Suite.SCHEMA, what + " match the OpenAPI document",
                (context, findings) -> validate(context, findings, List.of(kind)));
    }

    /** One document to validate and where it came from. */
    record Document(SchemaKind kind, JsonNode json, Exchange exchange, String where) {
    }

    private static void validate(CheckContext context, Findings findings, List<SchemaKind> kinds) {
        OpenApiSchemas schemas = context.schemas().orElseThrow(() -> new NotApplicable(
                "OpenAPI document not found (pass --openapi FILE, or set -Dfairlane.fixtures.dir to the shared"
                        + " fixtures holding " + OpenApiSchemas.FIXTURE_PATH + ")"));
        List<Document> documents = documents(context.probe().exchanges()).stream()
                .filter(d -> kinds.contains(d.kind())).toList();
        if (documents.isEmpty()) {
            throw new NotApplicable("this run saw no " + kinds.stream().map(SchemaKind::component).toList()
                    + " to validate (the suites that produce them were not selected)");
        }
        Map<String, Integer> tolerated = new TreeMap<>();
        int failed = 0;
        for (Document document : documents) {
            OpenApiSchemas.Outcome outcome = schemas.validate(document.kind(), document.json());
            outcome.tolerated().forEach(t -> tolerated.merge(t, 1, Integer::sum));
            if (!outcome.valid()) {
                failed++;
                if (failed <= 5) {
                    findings.fail(document.where() + " is not a valid " + document.kind().component() + ": "
                            + String.join("; ", outcome.violations().stream().limit(4).toList()),
                            document.exchange(), CheckContext.compact(document.json()));
                }
            }
        }
        if (failed > 5) {
            findings.fail((failed - 5) + " more invalid documents", null);
        }
        if (failed == 0) {
            findings.observe(documents.size() + " documents valid" + (tolerated.isEmpty() ? ""
                    : "; tolerated loose cases " + tolerated), null);
        }
    }

    /** The kind of a successful files or batches answer, by method and path; empty for content and the rest. */
    private static Optional<SchemaKind> filesAndBatches(Exchange exchange, String path) {
        String method = exchange.request().method();
        if (path.endsWith("/files")) {
            return Optional.of(method.equals("GET") ? SchemaKind.FILE_LIST : SchemaKind.FILE);
        }
        if (path.matches(".*/files/[^/]+")) {
            return Optional.of(method.equals("DELETE") ? SchemaKind.FILE_DELETED : SchemaKind.FILE);
        }
        if (path.endsWith("/batches")) {
            return Optional.of(method.equals("GET") ? SchemaKind.BATCH_LIST : SchemaKind.BATCH);
        }
        if (path.matches(".*/batches/[^/]+(/cancel)?")) {
            return Optional.of(SchemaKind.BATCH);
        }
        return Optional.empty();
    }

    /** Classifies what the run received by endpoint, status and framing. */
    static List<Document> documents(List<Exchange> exchanges) {
        List<Document> documents = new ArrayList<>();
        for (Exchange exchange : exchanges) {
            if (exchange.response().isEmpty()) {
                continue;
            }
            var response = exchange.responseOrThrow();
            String path = exchange.path();
            if (exchange.status() >= 400) {
                response.json().ifPresent(json -> documents.add(new Document(SchemaKind.ERROR, json, exchange,
                        exchange.purpose() + " (" + exchange.status() + ")")));
                continue;
            }
            if (!exchange.ok()) {
                continue;
            }
            if (path.endsWith("/chat/completions")) {
                if (response.isEventStream() || exchange.streamed()) {
                    List<SseEvent> events = response.sse().events();
                    for (int i = 0; i < events.size(); i++) {
                        SseEvent event = events.get(i);
                        if (event.isChunk()) {
                            documents.add(new Document(SchemaKind.CHAT_COMPLETION_CHUNK, event.json().orElseThrow(),
                                    exchange, exchange.purpose() + ", event " + i));
                        } else if (event.isError()) {
                            documents.add(new Document(SchemaKind.ERROR, event.json().orElseThrow(), exchange,
                                    exchange.purpose() + ", error event " + i));
                        }
                    }
                } else {
                    response.json().ifPresent(json -> documents.add(
                            new Document(SchemaKind.CHAT_COMPLETION, json, exchange, exchange.purpose())));
                }
            } else if (path.endsWith("/responses")) {
                if (response.isEventStream() || exchange.streamed()) {
                    List<EventStream.Event> events = EventStream.parse(response.body()).events();
                    for (int i = 0; i < events.size(); i++) {
                        int at = i;
                        events.get(i).json().ifPresent(json -> documents.add(new Document(
                                SchemaKind.RESPONSE_STREAM_EVENT, json, exchange, exchange.purpose() + ", event "
                                + at)));
                    }
                } else {
                    response.json().ifPresent(json -> documents.add(
                            new Document(SchemaKind.RESPONSE, json, exchange, exchange.purpose())));
                }
            } else if (path.contains("/responses/") && exchange.request().method().equals("GET")) {
                response.json().ifPresent(json -> documents.add(new Document(path.endsWith("/input_items")
                        ? SchemaKind.RESPONSE_ITEM_LIST : SchemaKind.RESPONSE, json, exchange, exchange.purpose())));
            } else if (path.endsWith("/embeddings")) {
                response.json().ifPresent(json -> documents.add(
                        new Document(SchemaKind.EMBEDDINGS, json, exchange, exchange.purpose())));
            } else if (path.endsWith("/models")) {
                response.json().ifPresent(json -> documents.add(
                        new Document(SchemaKind.MODEL_LIST, json, exchange, exchange.purpose())));
            } else if (path.contains("/models/")) {
                response.json().ifPresent(json -> documents.add(
                        new Document(SchemaKind.MODEL, json, exchange, exchange.purpose())));
            } else {
                filesAndBatches(exchange, path).ifPresent(kind -> response.json().ifPresent(json -> documents.add(
                        new Document(kind, json, exchange, exchange.purpose()))));
            }
        }
        return documents;
    }
}
