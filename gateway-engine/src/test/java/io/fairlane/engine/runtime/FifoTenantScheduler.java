package io.fairlane.engine.runtime;

import io.fairlane.scheduler.ActualCost;
import io.fairlane.scheduler.Admission;
import io.fairlane.scheduler.Capacity;
import io.fairlane.scheduler.CostEstimate;
import io.fairlane.scheduler.Policy;
import io.fairlane.scheduler.RateLimitStatus;
import io.fairlane.scheduler.SchedulerSnapshot;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.TenantScheduler;
import io.fairlane.scheduler.TenantSpec;
import io.fairlane.scheduler.Ticket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A minimal first-come-first-served {@link TenantScheduler} for engine tests, independent of the scheduler
 * module's policies. It records completions and cancellations so tests can check the engine settles every
 * ticket. Rejects tenants named in {@code rejected}.
 */
final class FifoTenantScheduler<W> implements TenantScheduler<W> {

    private final ArrayDeque<Entry<W>> queue = new ArrayDeque<>();
    private final Set<Entry<W>> running = new HashSet<>();
    private final AtomicLong ids = new AtomicLong();
    final Set<String> rejected = java.util.concurrent.ConcurrentHashMap.newKeySet();
    final AtomicLong completed = new AtomicLong();
    final AtomicLong cancelled = new AtomicLong();
    /** The cost the last cancellation was settled at. */
    final AtomicReference<ActualCost> lastCancelCost = new AtomicReference<>();
    final AtomicLong progressTokens = new AtomicLong();

    record Entry<W>(long id, String tenant, W work, ServiceTier tier, CostEstimate estimate, long enqueuedNanos)
            implements Ticket<W> {
    }

    @Override
    public synchronized Admission<W> offer(String tenant, W work, CostEstimate estimate, ServiceTier tier) {
        if (rejected.contains(tenant)) {
            return new Admission.Rejected<>(Admission.Reason.QUEUE_FULL, Duration.ofSeconds(1), "queue full",
                    RateLimitStatus.UNLIMITED);
        }
        Entry<W> e = new Entry<>(ids.incrementAndGet(), tenant, work, tier, estimate, System.nanoTime());
        queue.add(e);
        return new Admission.Queued<>(e, RateLimitStatus.UNLIMITED);
    }

    @Override
    public synchronized Optional<Ticket<W>> next(Capacity<W> capacity) {
        Entry<W> head = queue.peek();
        if (head == null || !capacity.fits(head.work(), head.estimate())) {
            return Optional.empty();
        }
        queue.poll();
        running.add(head);
        return Optional.of(head);
    }

    /** The first entry of {@code tenant}, out of arrival order (flex work is not handed out here). */
    @Override
    public synchronized Optional<Ticket<W>> nextOf(String tenant, Capacity<W> capacity) {
        for (Entry<W> e : queue) {
            if (e.tenant().equals(tenant) && e.tier() != ServiceTier.FLEX) {
                if (!capacity.fits(e.work(), e.estimate())) {
                    return Optional.empty();
                }
                queue.remove(e);
                running.add(e);
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    @Override
    public void progress(Ticket<W> ticket, int newOutputTokens) {
        progressTokens.addAndGet(newOutputTokens);
    }

    @Override
    public synchronized void complete(Ticket<W> ticket, ActualCost actual) {
        if (!running.remove(ticket)) {
            throw new IllegalStateException("complete of a ticket not running: " + ticket.id());
        }
        completed.incrementAndGet();
    }

    @Override
    public synchronized boolean cancel(Ticket<W> ticket, ActualCost usedSoFar) {
        if (queue.remove(ticket) || running.remove(ticket)) {
            cancelled.incrementAndGet();
            lastCancelCost.set(usedSoFar);
            return true;
        }
        return false;
    }

    /** Tickets handed out and not yet settled. */
    synchronized int unsettled() {
        return running.size();
    }

    @Override
    public void updateTenants(List<TenantSpec> tenants) {
    }

    @Override
    public RateLimitStatus rateLimitStatus(String tenant) {
        return RateLimitStatus.UNLIMITED;
    }

    @Override
    public synchronized int queued() {
        return queue.size();
    }

    @Override
    public SchedulerSnapshot snapshot() {
        return new SchedulerSnapshot(new Policy.Fcfs(), Map.of());
    }
}
