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

    record Normalised(JsonNode document, List<String> tolerated) {
    }
}
