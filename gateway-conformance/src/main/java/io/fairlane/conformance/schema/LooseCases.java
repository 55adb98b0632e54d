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
                default -> {
                }
            }
        }
        return new Normalised(copy, tolerated);
    }

    record Normalised(JsonNode document, List<String> tolerated) {
    }
}
