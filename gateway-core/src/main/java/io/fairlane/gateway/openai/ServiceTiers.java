package io.fairlane.gateway.openai;

import io.fairlane.gateway.config.TenantConfig;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.scheduler.ServiceTier;
import java.util.stream.Collectors;

/**
 * Resolves a request's {@code service_tier} for a tenant: {@code auto} (or none) becomes {@code default}
 * where the tenant may use it, else its best tier (see {@link TenantConfig#autoTier()}); OpenAI's {@code fast} and {@code scale} mean {@code priority}; a tier the tenant may not
 * use is a 400 naming the tiers it may.
 */
public final class ServiceTiers {

    private static final String[] WIRE_NAMES = java.util.Arrays.stream(ServiceTier.values())
            .map(ServiceTier::wireName).toArray(String[]::new);

    private ServiceTiers() {
    }

    /** {@link ServiceTier#wireName()} without building the string on every call. */
    public static String wire(ServiceTier tier) {
        return WIRE_NAMES[tier.ordinal()];
    }

    public static ServiceTier resolve(String requested, TenantConfig tenant) {
        ServiceTier tier = switch (requested == null ? "auto" : requested) {
            case "auto" -> tenant.autoTier();
            case "priority", "fast", "scale" -> ServiceTier.PRIORITY;
            case "flex" -> ServiceTier.FLEX;
            default -> ServiceTier.DEFAULT;
        };
        if (!tenant.serviceTiers().contains(tier)) {
            String allowed = tenant.serviceTiers().stream().sorted().map(t -> "'" + t.wireName() + "'")
                    .collect(Collectors.joining(", "));
            throw ApiException.invalidRequest("The service tier '" + requested + "' is not available to this API key. "
                    + "Available tiers: " + allowed + " (or 'auto').", "service_tier", "invalid_value");
        }
        return tier;
    }
}
