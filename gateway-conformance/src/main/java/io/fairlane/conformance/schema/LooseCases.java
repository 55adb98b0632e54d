package io.fairlane.conformance.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Places where real traffic from working servers (OpenAI's own included) is looser than the OpenAPI
 * document, and that every SDK accepts. Each is rewritten out of a copy of the document before
 * validation and reported as tolerated, so a tolerated case never hides a different violation at the same
 * place. Add a case only with the evidence that real servers send it and real clients accept it.
 */
final class LooseCases {

    private LooseCases() {
    }

    /** A copy of {@code document} with the tolerated looseness removed, and what was tolerated. */
    static Normalised normalise(SchemaKind kind, JsonNode document) {
        JsonNode copy = document.deepCopy();
        List<String> tolerated = new ArrayList<>();
        if (copy instanceof ObjectNode root) {
            switch (kind) {
                case CHAT_COMPLETION, CHAT_COMPLETION_CHUNK -> {
                    // The document types system_fingerprint as a string; OpenAI sends null for many models
                    // and the captures in the shared fixtures show it. Every SDK types it as optional/nullable.
                    if (root.has("system_fingerprint") && root.get("system_fingerprint").isNull()) {
                        root.remove("system_fingerprint");
                        tolerated.add("system_fingerprint: null");
                    }
                    // Chunks other than the usage chunk carry "usage": null when include_usage is on (OpenAI
                    // does this); the document's usage is a plain object.
                    if (root.has("usage") && root.get("usage").isNull()) {
                        root.remove("usage");
                        tolerated.add("usage: null");
                    }
                }
                case EMBEDDINGS -> {
                    // With encoding_format "base64" the embedding is a base64 string, not the list of floats the
                    // document describes; the SDKs ask for base64 by default. Its content is checked by
                    // embeddings.base64.
                    for (JsonNode item : root.path("data")) {
                        if (item instanceof ObjectNode object && object.path("embedding").isTextual()) {
                            object.putArray("embedding");
                            if (!tolerated.contains("base64 embedding string")) {
                                tolerated.add("base64 embedding string");
                            }
                        }
                    }
                }
                case BATCH -> nullBatchFields(root, tolerated);
                case BATCH_LIST -> {
                    for (JsonNode item : root.path("data")) {
                        if (item instanceof ObjectNode batch) {
                            nullBatchFields(batch, tolerated);
                        }
                    }
                }
                case RESPONSE -> nullResponseFields(root, tolerated);
                case RESPONSE_STREAM_EVENT -> {
                    if (root.get("response") instanceof ObjectNode response) {
                        nullResponseFields(response, tolerated);
                    }
                }
                default -> {
                }
            }
        }
        return new Normalised(copy, tolerated);
    }

    /**
     * The document types a response's {@code usage} as an object and its {@code user} as a string, yet its own
     * examples of {@code response.created}, {@code response.in_progress} and {@code response.failed} carry
     * {@code "usage": null} and {@code "user": null}, which is what OpenAI sends while a response has no usage yet
     * or was made without a user; every SDK types both as optional.
     */
    private static void nullResponseFields(ObjectNode response, List<String> tolerated) {
        for (String field : List.of("usage", "user")) {
            if (response.has(field) && response.get(field).isNull()) {
                response.remove(field);
                if (!tolerated.contains(field + ": null")) {
                    tolerated.add(field + ": null");
                }
            }
        }
    }

    /**
     * The document types a batch's timestamps, file ids and {@code errors} as plain integers, strings and an
     * object, yet OpenAI's own example answers to creating and retrieving a batch carry {@code null} for each one
     * not reached yet ({@code "completed_at": null}, {@code "error_file_id": null}, {@code "errors": null}), and the
     * SDKs type them as optional and nullable.
     */
    private static void nullBatchFields(ObjectNode batch, List<String> tolerated) {
        for (String field : List.of("errors", "output_file_id", "error_file_id", "in_progress_at", "expires_at",
                "finalizing_at", "completed_at", "failed_at", "expired_at", "cancelling_at", "cancelled_at",
                "metadata", "model", "usage")) {
            if (batch.has(field) && batch.get(field).isNull()) {
                batch.remove(field);
                if (!tolerated.contains("batch " + field + ": null")) {
                    tolerated.add("batch " + field + ": null");
                }
            }
        }
    }

    record Normalised(JsonNode document, List<String> tolerated) {
    }
}
