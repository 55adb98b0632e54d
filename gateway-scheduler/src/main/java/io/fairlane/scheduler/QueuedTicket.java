package io.fairlane.scheduler;

import java.util.Objects;

/**
 * The scheduler's ticket: the public {@link Ticket} view plus the bookkeeping needed to settle it.
 * Mutable fields are guarded by the owning scheduler's lock.
 *
 * @param <W> the work type
 */
final class QueuedTicket<W> implements Ticket<W> {

    enum State { QUEUED, RUNNING, SETTLED }

    private final long id;
    private final W work;
    private final ServiceTier tier;
    private final CostEstimate estimate;
    private final long enqueuedNanos;
    final Object owner;
    final TenantFlow flow;

    State state = State.QUEUED;

    // Intrusive list links (TicketQueue).
    TicketQueue queue;
    QueuedTicket<?> prev;
    QueuedTicket<?> next;

    /** Cost units charged for input at dispatch. */
    double chargedInput;
    /** Output tokens charged so far (up front or through progress). */
    long chargedOutputTokens;
    /** Output tokens reported through progress. */
    long reportedOutputTokens;

    /** Rate-limit reservation taken at admission. */
    boolean reservedRequest;
    long reservedTokens;

    QueuedTicket(Object owner, long id, TenantFlow flow, W work, ServiceTier tier, CostEstimate estimate,
            long enqueuedNanos) {
        this.owner = owner;
        this.id = id;
        this.flow = flow;
        this.work = Objects.requireNonNull(work, "work");
        this.tier = Objects.requireNonNull(tier, "tier");
        this.estimate = Objects.requireNonNull(estimate, "estimate");
        this.enqueuedNanos = enqueuedNanos;
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public String tenant() {
        return flow.account.id();
    }

    @Override
    public W work() {
        return work;
    }

    @Override
    public ServiceTier tier() {
        return tier;
    }

    @Override
    public CostEstimate estimate() {
        return estimate;
    }

    @Override
    public long enqueuedNanos() {
        return enqueuedNanos;
    }

    /** Counts only: the work may hold a prompt, which never goes into logs. */
    @Override
    public String toString() {
        return "Ticket[id=" + id + ", tenant=" + tenant() + ", tier=" + tier.wireName() + ", state=" + state
                + ", promptTokens=" + estimate.promptTokens() + ", maxOutputTokens=" + estimate.maxOutputTokens()
                + "]";
    }
}
