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
 */
public record RequestContext(TenantConfig tenant, ServiceTier tier, RequestMeters meters) {

    public RequestContext {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(meters, "meters");
    }
}
