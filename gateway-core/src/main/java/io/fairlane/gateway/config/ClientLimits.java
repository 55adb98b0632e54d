package io.fairlane.gateway.config;

import java.time.Duration;
import java.util.Objects;

/**
 * What one client may hold of the listener: how slowly it may send a request body, and how many connections it
 * (by address) and everyone together may keep open. Read from {@code server.timeouts.body_read},
 * {@code server.limits.min_body_rate}, {@code server.limits.max_connections} and
 * {@code server.limits.max_connections_per_address}.
 *
 * @param bodyRead                 time a request body gets after its headers, whatever its size
 * @param minBodyRate              bytes per second a body must keep up beyond that: each this many bytes earns one
 *                                 more second; 0 means the whole body must arrive within {@code bodyRead}
 * @param maxConnections           connections open at once, all clients together; 0 means unlimited
 * @param maxConnectionsPerAddress connections open at once from one client address; 0 means unlimited
 */
public record ClientLimits(Duration bodyRead, long minBodyRate, int maxConnections, int maxConnectionsPerAddress) {

    /** Cut a trickled body about 30 s after its headers; Envoy's listener default for the total. */
    public static final ClientLimits DEFAULT = new ClientLimits(Duration.ofSeconds(30), 4096, 10_000, 256);

    public ClientLimits {
        Objects.requireNonNull(bodyRead, "bodyRead");
        if (bodyRead.isZero() || bodyRead.isNegative() || minBodyRate < 0 || maxConnections < 0
                || maxConnectionsPerAddress < 0) {
            throw new IllegalArgumentException("body_read must be > 0 and the other limits >= 0, were " + bodyRead
                    + ", " + minBodyRate + ", " + maxConnections + ", " + maxConnectionsPerAddress);
        }
    }
}
