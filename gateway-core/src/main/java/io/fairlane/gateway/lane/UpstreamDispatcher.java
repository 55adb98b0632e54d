package io.fairlane.gateway.lane;

import io.fairlane.scheduler.ActualCost;
import io.fairlane.scheduler.Admission;
import io.fairlane.scheduler.Capacity;
import io.fairlane.scheduler.CostEstimate;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.TenantScheduler;
import io.fairlane.scheduler.Ticket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Runs an upstream lane: a {@link TenantScheduler} in front of a fixed number of concurrent-request
 * slots. Work is offered to the scheduler; whenever a slot is free, the scheduler's choice is handed to
 * the starter (which must not block); the end of each request frees its slot and starts the next choice.
 *
 * <p>Thread-safe: decisions and slot accounting happen under one monitor; the starter runs outside it,
 * on the thread whose call made room. A ticket cancelled between its dispatch and its start may still
 * reach the starter; later {@code finished}/{@code cancel} calls on it are no-ops.
 *
 * @param <W> the work type
 */
final class UpstreamDispatcher<W> {

    private final TenantScheduler<W> scheduler;
    private final int slots;
    private final Consumer<Ticket<W>> starter;
    private final Object monitor = new Object();
    private final Set<Ticket<W>> running = new HashSet<>();
    private final Capacity<W> capacity;

    UpstreamDispatcher(TenantScheduler<W> scheduler, int slots, Consumer<Ticket<W>> starter) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.starter = Objects.requireNonNull(starter, "starter");
        if (slots <= 0) {
            throw new IllegalArgumentException("slots must be > 0, was " + slots);
        }
        this.slots = slots;
        this.capacity = (w, e) -> running.size() < this.slots;
    }

    TenantScheduler<W> scheduler() {
        return scheduler;
    }

    Admission<W> submit(String tenant, W work, CostEstimate estimate, ServiceTier tier) {
        Admission<W> a = scheduler.offer(tenant, work, estimate, tier);
        if (a instanceof Admission.Queued<W>) {
            pump();
        }
        return a;
    }

    void finished(Ticket<W> ticket, ActualCost actual) {
        synchronized (monitor) {
            if (running.remove(ticket)) {
                scheduler.complete(ticket, actual);
            }
        }
        pump();
    }

    boolean cancel(Ticket<W> ticket, ActualCost usedSoFar) {
        boolean cancelled;
        synchronized (monitor) {
            running.remove(ticket);
            cancelled = scheduler.cancel(ticket, usedSoFar);
        }
        pump();
        return cancelled;
    }

    int running() {
        synchronized (monitor) {
            return running.size();
        }
    }

    private void pump() {
        List<Ticket<W>> chosen = new ArrayList<>(1);
        synchronized (monitor) {
            for (Optional<Ticket<W>> t = scheduler.next(capacity); t.isPresent(); t = scheduler.next(capacity)) {
                running.add(t.get());
                chosen.add(t.get());
            }
        }
        for (Ticket<W> t : chosen) {
            try {
                starter.accept(t);
            } catch (RuntimeException e) {
                cancel(t, ActualCost.NONE);
                throw e;
            }
        }
    }
}
