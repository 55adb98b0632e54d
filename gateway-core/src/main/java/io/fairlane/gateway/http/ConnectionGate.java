package io.fairlane.gateway.http;

import io.netty.channel.Channel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps the connections held open at once, in total and per client address, so one client cannot take every
 * socket and buffer the server has. An admitted connection counts until it closes; one over a cap is not
 * counted and gets an error to answer its first request with ({@code 429} over the per-address cap, {@code 503}
 * over the total) before it is closed. Limits of 0 mean unlimited.
 *
 * <p>Behind a proxy or load balancer every client shares the proxy's address: raise or switch off the
 * per-address cap there.
 *
 * <p>Thread-safe: every event loop admits and releases here.
 */
final class ConnectionGate {

    private final int maxTotal;
    private final int maxPerAddress;
    private final AtomicInteger open = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();

    ConnectionGate(int maxTotal, int maxPerAddress) {
        if (maxTotal < 0 || maxPerAddress < 0) {
            throw new IllegalArgumentException("connection limits must be >= 0, were " + maxTotal + " and "
                    + maxPerAddress);
        }
        this.maxTotal = maxTotal;
        this.maxPerAddress = maxPerAddress;
    }

    /** Connections admitted and still open. */
    int open() {
        return open.get();
    }

    /**
     * Admits {@code channel} (counted until its close future completes) and returns null, or returns the event
     * that refused it, which leaves nothing counted.
     */
    ConnectionEvent admit(Channel channel) {
        int total = open.incrementAndGet();
        if (maxTotal > 0 && total > maxTotal) {
            open.decrementAndGet();
            return ConnectionEvent.REFUSED_TOTAL_LIMIT;
        }
        InetAddress address = addressOf(channel.remoteAddress());
        if (maxPerAddress > 0 && address != null) {
            boolean[] admitted = {false};
            perAddress.compute(address, (a, n) -> {
                int count = n == null ? 0 : n;
                if (count >= maxPerAddress) {
                    return n;
                }
                admitted[0] = true;
                return count + 1;
            });
            if (!admitted[0]) {
                open.decrementAndGet();
                return ConnectionEvent.REFUSED_ADDRESS_LIMIT;
            }
        }
        channel.closeFuture().addListener(f -> release(address));
        return null;
    }

    private void release(InetAddress address) {
        open.decrementAndGet();
        if (maxPerAddress > 0 && address != null) {
            perAddress.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
        }
    }

    /** Addresses with connections open now (for tests). */
    int addresses() {
        return perAddress.size();
    }

    private static InetAddress addressOf(SocketAddress address) {
        return address instanceof InetSocketAddress inet ? inet.getAddress() : null;
    }

    /** The error a refused connection's first request is answered with. */
    static ApiError refusal(ConnectionEvent event, int limit) {
        return switch (event) {
            case REFUSED_ADDRESS_LIMIT -> new ApiError(429, "Too many open connections from your address (at most "
                    + limit + "). Reuse connections (keep-alive) or close idle ones, then retry.", "requests", null,
                    "too_many_connections").withHeader("retry-after", "1");
            case REFUSED_TOTAL_LIMIT -> new ApiError(503, "The server has as many open connections as it accepts ("
                    + limit + "); retry shortly.", "server_error", null, "too_many_connections")
                    .withHeader("retry-after", "1");
            default -> throw new IllegalArgumentException("not a refusal: " + event);
        };
    }

    int limitOf(ConnectionEvent event) {
        return event == ConnectionEvent.REFUSED_ADDRESS_LIMIT ? maxPerAddress : maxTotal;
    }
}
