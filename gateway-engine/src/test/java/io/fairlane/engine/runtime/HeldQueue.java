package io.fairlane.engine.runtime;

import io.fairlane.scheduler.ActualCost;
import io.fairlane.scheduler.Admission;
import io.fairlane.scheduler.Capacity;
import io.fairlane.scheduler.CostEstimate;
import io.fairlane.scheduler.RateLimitStatus;
import io.fairlane.scheduler.SchedulerSnapshot;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.TenantScheduler;
import io.fairlane.scheduler.TenantSpec;
import io.fairlane.scheduler.Ticket;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A waiting queue whose hand-outs can be held: while held, {@link #next} hands out nothing, so a test can
 * submit several requests and have the engine's first step after {@link #release} see all of them at once.
 * The batch compositions, preemptions and admission order that follow are then fixed by the requests alone,
 * not by how far the engine loop got between two submits on a busy machine.
 */
final class HeldQueue<W> implements TenantScheduler<W> {

    private final TenantScheduler<W> delegate;
    private volatile boolean held;

    HeldQueue(TenantScheduler<W> delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    void hold() {
        held = true;
    }

    /** Lets the engine take the queued work; its loop polls a non-empty queue every millisecond. */
    void release() {
        held = false;
    }

    @Override
    public Optional<Ticket<W>> next(Capacity<W> capacity) {
        return held ? Optional.empty() : delegate.next(capacity);
    }

    @Override
    public Optional<Ticket<W>> nextOf(String tenant, Capacity<W> capacity) {
        return held ? Optional.empty() : delegate.nextOf(tenant, capacity);
    }

    @Override
    public Admission<W> offer(String tenant, W work, CostEstimate estimate, ServiceTier tier) {
        return delegate.offer(tenant, work, estimate, tier);
    }

    @Override
    public void progress(Ticket<W> ticket, int newOutputTokens) {
        delegate.progress(ticket, newOutputTokens);
    }

    @Override
    public void complete(Ticket<W> ticket, ActualCost actual) {
        delegate.complete(ticket, actual);
    }

    @Override
    public boolean cancel(Ticket<W> ticket, ActualCost usedSoFar) {
        return delegate.cancel(ticket, usedSoFar);
    }

    @Override
    public void updateTenants(List<TenantSpec> tenants) {
        delegate.updateTenants(tenants);
    }

    @Override
    public RateLimitStatus rateLimitStatus(String tenant) {
        return delegate.rateLimitStatus(tenant);
    }

    @Override
    public int queued() {
        return delegate.queued();
    }

    @Override
    public SchedulerSnapshot snapshot() {
        return delegate.snapshot();
    }
}
