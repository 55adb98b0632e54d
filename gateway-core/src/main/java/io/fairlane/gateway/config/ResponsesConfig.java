package io.fairlane.gateway.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The {@code responses} section: how many stored responses ({@code POST /v1/responses} with {@code store}, the
 * default) each tenant keeps, and for how long. Past a bound the tenant's oldest go first.
 *
 * @param maxResponses     stored responses per tenant
 * @param maxBytes         bytes of stored responses per tenant (each counted as its response and input items)
 * @param maxResponseBytes a request whose input alone is larger is refused unless it sends {@code store: false};
 *                         a response that ends larger is not stored
 * @param ttl              how long a stored response can be retrieved and continued
 */
public record ResponsesConfig(int maxResponses, long maxBytes, long maxResponseBytes, Duration ttl) {

    public static final ResponsesConfig DEFAULT = new ResponsesConfig(1000, 64L << 20, 4L << 20,
            Duration.ofDays(30));

    public ResponsesConfig {
        Objects.requireNonNull(ttl, "ttl");
        if (maxResponses < 1) {
            throw new IllegalArgumentException("maxResponses must be at least 1, was " + maxResponses);
        }
        if (maxResponseBytes < 1 || maxBytes < maxResponseBytes) {
            throw new IllegalArgumentException("need 1 <= maxResponseBytes <= maxBytes, was " + maxResponseBytes
                    + " and " + maxBytes);
        }
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive, was " + ttl);
        }
    }
}
