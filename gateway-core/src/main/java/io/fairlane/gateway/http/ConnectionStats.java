package io.fairlane.gateway.http;

/**
 * Where the front end reports connection events and reads its open-connection count from; the metrics module
 * binds it to meters, so this package names no metrics library (as the scheduler's {@code SchedulerStats} does).
 * Called from any event loop: implementations are thread-safe.
 */
public interface ConnectionStats {

    /** Discards everything. */
    ConnectionStats NONE = event -> {
    };

    /** One {@code event} happened. */
    void record(ConnectionEvent event);
}
