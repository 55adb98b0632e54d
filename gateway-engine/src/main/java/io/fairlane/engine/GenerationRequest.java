package io.fairlane.engine;

import io.fairlane.scheduler.ServiceTier;
import java.util.Objects;

/**
 * One generation: a prepared prompt, how to sample, and who asks.
 *
 * @param requestId  unique id (the gateway's request id); used by {@link InferenceEngine#abort}
 * @param tenant     the tenant the work is charged to
 * @param tier       the service tier to schedule in
 * @param cacheSalt  isolates prefix-cache entries: by default the tenant id, or a shared group name when the
 *                   configuration lets tenants share; never empty
 * @param prompt     the tokenized prompt
 * @param sampling   sampling and stopping parameters (shared by all choices)
 * @param n          number of choices (prompt prefilled once, then forked)
 */
public record GenerationRequest(
        String requestId,
        String tenant,
        ServiceTier tier,
        String cacheSalt,
        PreparedPrompt prompt,
        SamplingParams sampling,
        int n) {

    public GenerationRequest {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(cacheSalt, "cacheSalt");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(sampling, "sampling");
        if (cacheSalt.isEmpty()) {
            throw new IllegalArgumentException("cacheSalt must not be empty");
        }
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, was " + n);
        }
    }
}
