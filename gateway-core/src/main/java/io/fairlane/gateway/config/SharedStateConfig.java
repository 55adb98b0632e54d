package io.fairlane.gateway.config;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code shared_state} section: where gateway replicas behind one load balancer keep what they must agree on
 * (rate-limit reservations and {@code Idempotency-Key} claims). Without a Redis URL every replica keeps both to
 * itself, which is right for a single replica. With one, a replica that cannot reach Redis keeps serving on local
 * limits cut to {@code fallbackShare} of each tenant's RPM/TPM, so that N replicas on their own admit at most
 * {@code N × fallbackShare} of a limit and never an unbounded multiple of it.
 *
 * @param redis          {@code redis://[user:password@]host:port[/db]}; empty: nothing is shared
 * @param timeout        how long one Redis call may take before the replica counts Redis as lost
 * @param keyPrefix      prefix of every key the gateway writes, so that several deployments can share a server
 * @param fallbackShare  fraction (0, 1] of each limit a replica may grant alone while Redis is lost
 * @param retryInterval  how long a replica that lost Redis waits before trying it again
 */
public record SharedStateConfig(Optional<URI> redis, Duration timeout, String keyPrefix, double fallbackShare,
                                Duration retryInterval) {

    public static final SharedStateConfig NONE = new SharedStateConfig(Optional.empty(), Duration.ofMillis(250),
            "fairlane:", 1.0, Duration.ofSeconds(5));

    public SharedStateConfig {
        Objects.requireNonNull(redis, "redis");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        Objects.requireNonNull(retryInterval, "retryInterval");
        if (!(fallbackShare > 0 && fallbackShare <= 1)) {
            throw new IllegalArgumentException("fallbackShare must be in (0, 1], was " + fallbackShare);
        }
        if (timeout.isZero() || timeout.isNegative() || retryInterval.isZero() || retryInterval.isNegative()) {
            throw new IllegalArgumentException("timeout and retryInterval must be positive");
        }
    }

    /** Whether anything is shared at all. */
    public boolean enabled() {
        return redis.isPresent();
    }

    /** The same settings pointing at {@code uri}. */
    public SharedStateConfig withRedis(URI uri) {
        return new SharedStateConfig(Optional.of(uri), timeout, keyPrefix, fallbackShare, retryInterval);
    }
}
