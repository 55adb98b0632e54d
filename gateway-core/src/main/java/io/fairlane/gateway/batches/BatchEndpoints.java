package io.fairlane.gateway.batches;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.openai.ChatCompletionRequest;
import io.fairlane.gateway.openai.CompletionRequest;
import io.fairlane.gateway.openai.EmbeddingsRequest;
import io.fairlane.gateway.openai.ResponsesRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The endpoints a batch may target, each with the check its lines' bodies get up front, while validating: the same
 * parser the endpoint uses for interactive requests, so a line that would be refused later (a wrong type, a missing
 * field) fails validation with its line number instead. Adding an endpoint is one entry here; the line itself runs
 * through whatever handles the path in the router ({@link LineDispatcher}).
 */
public final class BatchEndpoints {

    /** Checks a line's body; throws the endpoint's own {@code ApiException} (400 with its {@code param}). */
    @FunctionalInterface
    public interface BodyCheck {
        void check(ObjectNode body);
    }

    private static final Map<String, BodyCheck> ENDPOINTS = new LinkedHashMap<>();

    static {
        ENDPOINTS.put("/v1/chat/completions", ChatCompletionRequest::parse);
        ENDPOINTS.put("/v1/completions", CompletionRequest::parse);
        ENDPOINTS.put("/v1/embeddings", EmbeddingsRequest::parse);
        ENDPOINTS.put("/v1/responses", ResponsesRequest::parse);
    }

    private BatchEndpoints() {
    }

    /** The check for {@code endpoint}, or empty when batches cannot target it. */
    public static Optional<BodyCheck> check(String endpoint) {
        return Optional.ofNullable(ENDPOINTS.get(endpoint));
    }

    /** The endpoints batches may target, in the order the API lists them. */
    public static String list() {
        return String.join(", ", ENDPOINTS.keySet().stream().map(e -> "'" + e + "'").toList());
    }
}
