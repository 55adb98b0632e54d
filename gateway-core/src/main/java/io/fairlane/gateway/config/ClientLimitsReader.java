package io.fairlane.gateway.config;

import java.time.Duration;

/**
 * Reads the {@link ClientLimits} keys out of the server's {@code limits} and {@code timeouts} sections, apart
 * from the loader's other keys: {@code min_body_rate}, {@code max_connections}, {@code max_connections_per_address}
 * and {@code body_read}.
 */
final class ClientLimitsReader {

    private ClientLimitsReader() {
    }

    /** {@code server.limits}: the body rate and the connection caps. */
    static ClientLimits limits(ConfigNode limits, ClientLimits current) {
        long rate = limits.bytes("min_body_rate", current.minBodyRate());
        if (rate < 0) {
            limits.error("min_body_rate", "must be >= 0 bytes (per second), was " + rate);
            rate = current.minBodyRate();
        }
        int total = (int) limits.integer("max_connections", current.maxConnections(), 0, 10_000_000);
        int perAddress = (int) limits.integer("max_connections_per_address", current.maxConnectionsPerAddress(), 0,
                10_000_000);
        return new ClientLimits(current.bodyRead(), rate, total, perAddress);
    }

    /** {@code server.timeouts}: how long a body gets beyond what its rate earns. */
    static ClientLimits timeouts(ConfigNode timeouts, ClientLimits current) {
        Duration bodyRead = timeouts.duration("body_read", current.bodyRead());
        if (bodyRead.isZero() || bodyRead.isNegative()) {
            timeouts.error("body_read", "must be longer than 0");
            bodyRead = current.bodyRead();
        }
        return new ClientLimits(bodyRead, current.minBodyRate(), current.maxConnections(),
                current.maxConnectionsPerAddress());
    }
}
