package io.fairlane.gateway.http;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports connection events: each is counted ({@link ConnectionStats}) and logged as one line, but no more than
 * {@value #LINES_PER_WINDOW} lines of a kind per {@value #WINDOW_SECONDS} seconds, so a thousand clients dropping
 * mid-body cost a thousand counts and a few lines, not a thousand stack traces. The first line after a quiet
 * spell says how many of its kind went unlogged. Client-caused events log at INFO without a stack trace; faults
 * of ours at WARN with one.
 *
 * <p>Thread-safe: every connection's event loop reports here. Once a connection has had its event reported,
 * later complaints about the same connection (the aggregator's "closed while aggregating" after we closed it
 * ourselves) are not reported again: see {@link #alreadyReported}.
 */
public final class ConnectionEvents {

    static final int LINES_PER_WINDOW = 10;
    static final int WINDOW_SECONDS = 10;
    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(WINDOW_SECONDS);
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionEvents.class);
    private static final AttributeKey<Boolean> REPORTED = AttributeKey.valueOf("fairlane.connection.event.reported");

    /** One kind's log budget: lines allowed in the current window, and events left unlogged. */
    private static final class Budget {
        final AtomicLong windowStart = new AtomicLong(Long.MIN_VALUE);
        final AtomicLong lines = new AtomicLong();
        final AtomicLong suppressed = new AtomicLong();
    }

    private final ConnectionStats stats;
    private final Map<ConnectionEvent, Budget> budgets = new EnumMap<>(ConnectionEvent.class);

    public ConnectionEvents(ConnectionStats stats) {
        this.stats = Objects.requireNonNull(stats, "stats");
        for (ConnectionEvent e : ConnectionEvent.values()) {
            budgets.put(e, new Budget());
        }
    }

    /** Counts and (within the budget) logs {@code event} on {@code channel}; {@code detail} ends the line. */
    public void report(ConnectionEvent event, Channel channel, String detail) {
        report(event, channel, detail, null);
    }

    /** As {@link #report(ConnectionEvent, Channel, String)}, with the fault's cause for a WARN's stack trace. */
    public void report(ConnectionEvent event, Channel channel, String detail, Throwable cause) {
        if (channel != null) {
            channel.attr(REPORTED).set(Boolean.TRUE);
        }
        stats.record(event);
        long unlogged = admit(budgets.get(event), System.nanoTime());
        if (unlogged < 0) {
            return;
        }
        String line = event.tag() + " " + (channel == null ? "" : remote(channel) + " ") + detail
                + (unlogged > 0 ? " (" + unlogged + " more of this kind not logged)" : "");
        if (event.clientCaused()) {
            LOG.info(line);
        } else {
            LOG.warn(line, cause);
        }
    }

    /** Whether an event was already reported for {@code channel}. */
    static boolean alreadyReported(Channel channel) {
        return Boolean.TRUE.equals(channel.attr(REPORTED).get());
    }

    /**
     * -1 when the line is over budget (and counted as unlogged), else how many were left unlogged since the
     * last line that was written.
     */
    static long admit(Budget b, long now) {
        long start = b.windowStart.get();
        if (start == Long.MIN_VALUE || now - start >= WINDOW_NANOS) {
            if (b.windowStart.compareAndSet(start, now)) {
                b.lines.set(0);
            }
        }
        if (b.lines.incrementAndGet() > LINES_PER_WINDOW) {
            b.suppressed.incrementAndGet();
            return -1;
        }
        return b.suppressed.getAndSet(0);
    }

    private static String remote(Channel channel) {
        Object address = channel.remoteAddress();
        return address == null ? "-" : address.toString();
    }
}
