package io.fairlane.gateway.lane;

import io.fairlane.gateway.config.TenantConfig;
import io.fairlane.gateway.metrics.RequestMeters;
import io.fairlane.scheduler.ServiceTier;
import java.util.Objects;

/**
 * Who asks and how a request is to be scheduled, resolved by the endpoint before it reaches a backend.
 *
 * @param tenant the authenticated tenant
 * @param tier   the resolved service tier (never {@code auto})
 * @param meters the (tenant, model) meters, for per-token latency
 * @param promptTokenIds the prompt's token ids as a router computed and signed them (a chat's rendered template, or a
 *                       completion's single text prompt), for a local model to use instead of tokenising again;
 *                       empty when there are none to trust
 */
public record RequestContext(TenantConfig tenant, ServiceTier tier, RequestMeters meters, int[] promptTokenIds) {

    private static final int[] NONE = new int[0];

    public RequestContext {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(meters, "meters");
        promptTokenIds = promptTokenIds == null ? NONE : promptTokenIds;
    }

    /** A request with no token ids to trust: its prompt is tokenised where it is served. */
    public RequestContext(TenantConfig tenant, ServiceTier tier, RequestMeters meters) {
        this(tenant, tier, meters, NONE);
    }
}
