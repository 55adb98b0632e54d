package io.fairlane.scheduler;

import java.util.List;
import java.util.Optional;

/**
 * Shares one lane's capacity among tenants.
 *
 * <p>Life of a piece of work: {@link #offer} queues it (or rejects it, with a retry estimate);
 * {@link #next} hands out the ticket the policy picks when the lane has room; the runner reports output
 * as it is produced through {@link #progress} (policies that charge per decode step use it); finally
 * {@link #complete} settles the actual cost, or {@link #cancel} refunds what was not used.
 *
 * <p>Implementations are thread-safe: offers arrive from I/O threads while one dispatcher thread (the
 * engine loop, or an upstream lane's dispatcher) calls {@code next}.
 *
 * @param <W> the work type
 */
public interface TenantScheduler<W> {

    /** Queues {@code work} for {@code tenant} in {@code tier}, or rejects it. Never blocks. */
    Admission<W> offer(String tenant, W work, CostEstimate estimate, ServiceTier tier);

    /**
     * The next ticket to run, if any queued work fits {@code capacity}. Empty when nothing is queued or
     * the policy's choice does not fit (a policy may stop at the first misfit rather than skip it, as VTC
     * does, so that large requests are not starved).
     */
    Optional<Ticket<W>> next(Capacity<W> capacity);

    /**
     * The first queued priority or default ticket of {@code tenant}, out of the policy's order, if it fits
     * {@code capacity}; charged as {@link #next} charges. For a dispatcher that makes room by preempting running work
     * for a tenant below its fair share of the lane, when the policy's own choice does not fit: a tenant under its
     * share is then never kept waiting behind another's queue. Empty when the tenant has no such work, is at its
     * {@code maxShare} cap, or the work does not fit. Flex work is never handed out here.
     */
    default Optional<Ticket<W>> nextOf(String tenant, Capacity<W> capacity) {
        return Optional.empty();
    }

    /** Reports {@code newOutputTokens} more output produced by running {@code ticket}. */
    void progress(Ticket<W> ticket, int newOutputTokens);

    /** Settles a finished ticket: the charge made on the estimate is corrected to {@code actual}. */
    void complete(Ticket<W> ticket, ActualCost actual);

    /**
     * Withdraws a queued ticket, or stops a running one, refunding what it did not use.
     * {@code usedSoFar} is the cost actually incurred ({@link ActualCost#NONE} if it never ran).
     * Returns false if the ticket was already completed or cancelled.
     */
    boolean cancel(Ticket<W> ticket, ActualCost usedSoFar);

    /** Replaces the tenant set (configuration reload). Queued work of removed tenants stays queued. */
    void updateTenants(List<TenantSpec> tenants);

    /** Current rate-limit position of a tenant, for response headers. */
    RateLimitStatus rateLimitStatus(String tenant);

    /** Number of queued tickets across all tenants. */
    int queued();

    SchedulerSnapshot snapshot();
}
