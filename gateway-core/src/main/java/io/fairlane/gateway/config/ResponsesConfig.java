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

    /** The {@code responses} section; problems are recorded in {@code n}'s error list with their paths. */
    static ResponsesConfig read(ConfigNode n) {
        ConfigNode store = n.section("store").orElse(null);
        n.finish();
        if (store == null) {
            return DEFAULT;
        }
        int count = (int) store.integer("max_responses", DEFAULT.maxResponses(), 1, 1 << 24);
        long bytes = ConfigLoader.positiveSize(store, "max_size", DEFAULT.maxBytes(), Long.MAX_VALUE);
        long one = ConfigLoader.positiveSize(store, "max_response_size", Math.min(DEFAULT.maxResponseBytes(), bytes),
                Long.MAX_VALUE);
        if (one > bytes) {
            store.error("max_response_size", "must not exceed max_size (" + bytes + " bytes)");
            one = bytes;
        }
        Duration ttl = ConfigLoader.positive(store, "ttl", DEFAULT.ttl());
        store.finish();
        return new ResponsesConfig(count, bytes, one, ttl);
    }
}
