package io.fairlane.engine;

import io.fairlane.scheduler.ServiceTier;
import java.util.List;
import java.util.Objects;

/**
 * Embeddings for several inputs.
 *
 * @param requestId request id
 * @param tenant    the tenant charged
 * @param tier      service tier
 * @param inputs    tokenized inputs, one embedding each
 * @param dimensions if > 0, truncate each vector to this many dimensions before normalising
 */
public record EmbeddingRequest(String requestId, String tenant, ServiceTier tier, List<PreparedPrompt> inputs,
                               int dimensions) {

    public EmbeddingRequest {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(tier, "tier");
        inputs = List.copyOf(inputs);
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("inputs must not be empty");
        }
    }
}
