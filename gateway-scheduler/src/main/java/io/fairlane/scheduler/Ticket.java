package io.fairlane.scheduler;

/**
 * A piece of work a tenant scheduler has accepted. The same ticket identifies the work from
 * {@link TenantScheduler#offer} through {@link TenantScheduler#next} to {@link TenantScheduler#complete}
 * or {@link TenantScheduler#cancel}.
 *
 * @param <W> the work type
 */
public interface Ticket<W> {

    /** Unique within one scheduler, increasing in order of acceptance. */
    long id();

    String tenant();

    W work();

    /** The tier the work was scheduled in (never {@code auto}). */
    ServiceTier tier();

    CostEstimate estimate();

    /** {@link Ticker#nanos()} when the work was accepted. */
    long enqueuedNanos();
}
