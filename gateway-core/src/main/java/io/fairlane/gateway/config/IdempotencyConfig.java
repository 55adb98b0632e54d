package io.fairlane.gateway.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How {@code Idempotency-Key} requests are remembered (see {@code io.fairlane.gateway.idempotency}).
 *
 * @param enabled          whether the header is honoured at all
 * @param window           how long a stored response answers repeats of its key
 * @param maxKeys          keys remembered per tenant (in flight or stored); the oldest stored go first
 * @param maxBytes         response bytes stored per tenant; the oldest stored go first
 * @param maxResponseBytes a larger response is not stored (a repeat of its key runs again)
 */
public record IdempotencyConfig(boolean enabled, Duration window, int maxKeys, long maxBytes, long maxResponseBytes) {

    public static final IdempotencyConfig DEFAULT = new IdempotencyConfig(true, Duration.ofHours(24), 1024,
            32L << 20, 1L << 20);

    public IdempotencyConfig {
        Objects.requireNonNull(window, "window");
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("window must be positive, was " + window);
        }
        if (maxKeys < 1) {
            throw new IllegalArgumentException("maxKeys must be at least 1, was " + maxKeys);
        }
        if (maxResponseBytes < 1 || maxBytes < maxResponseBytes) {
            throw new IllegalArgumentException("need 1 <= maxResponseBytes <= maxBytes, was " + maxResponseBytes
                    + " and " + maxBytes);
        }
    }
}
