package io.fairlane.scheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs an upstream lane: a {@link TenantScheduler} in front of a {@link ConcurrencyCapacity}. Work is
 * {@link #submit submitted}; whenever the lane has room the scheduler's choice is handed to the
 * {@code starter} (which begins the upstream request and must not block); the caller reports the end
 * with {@link #finished} or {@link #cancel}, which frees the room and starts the next choice.
 *
 * <p>Thread-safe. Dispatch decisions, capacity acquisition and running-set updates happen under one
 * monitor; the starter runs outside it, on the thread whose call made room (a submit, finish or cancel,
 * or the optional timer). A ticket cancelled between its dispatch and its start may still reach the
 * starter; later {@code finished} or {@code cancel} calls on it are no-ops. If the starter throws, that
 * ticket is cancelled and the exception propagates once the other chosen tickets have been started.
 *
 * <p>With a token-rate capacity, time alone makes room: pass a {@link ScheduledExecutorService} and the
 * dispatcher looks again after {@code tokenRecheck} whenever work waits while slots are free. The same holds for a
 * {@link Placement} that changes with time.
 *
 * <p>With a {@link Placement}, a ticket starts only once the placement reserved a place for it too (an upstream
 * lane's target with a free slot); until then it stays queued, ahead of the tickets behind it.
 *
 * @param <W> the work type
 */
public final class LaneDispatcher<W> {

    private final TenantScheduler<W> scheduler;
    private final ConcurrencyCapacity<W> capacity;
    private final Capacity<W> placing;
    private final Placement<W> placement;
    private final Consumer<Ticket<W>> starter;
    private final ScheduledExecutorService timer;
    private final Duration tokenRecheck;
    private final Object monitor = new Object();
    private final Set<Ticket<W>> running = new HashSet<>();
    private boolean recheckPending;

    /** A dispatcher without a timer: room appears only when requests finish. */
    public LaneDispatcher(TenantScheduler<W> scheduler, ConcurrencyCapacity<W> capacity,
            Consumer<Ticket<W>> starter) {
        this(scheduler, capacity, starter, null, Duration.ofMillis(20));
    }

    /**
     * @param timer        runs a delayed re-dispatch when a token rate holds work back; may be null
     * @param tokenRecheck how long to wait before that re-dispatch
     */
    public LaneDispatcher(TenantScheduler<W> scheduler, ConcurrencyCapacity<W> capacity,
            Consumer<Ticket<W>> starter, ScheduledExecutorService timer, Duration tokenRecheck) {
        this(scheduler, capacity, null, starter, timer, tokenRecheck);
    }

    /**
     * @param placement where started work goes (reserved before it starts); null when the capacity is all there is
     * @param timer     runs a delayed re-dispatch when a token rate or the placement holds work back; may be null
     * @param recheck   how long to wait before that re-dispatch
     */
    public LaneDispatcher(TenantScheduler<W> scheduler, ConcurrencyCapacity<W> capacity, Placement<W> placement,
            Consumer<Ticket<W>> starter, ScheduledExecutorService timer, Duration recheck) {
        Duration tokenRecheck = recheck;
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.capacity = Objects.requireNonNull(capacity, "capacity");
        this.placement = placement;
        this.placing = placement == null ? capacity : new Capacity<>() {
            @Override
            public boolean fits(W work, CostEstimate estimate) {
                // Asked right before the scheduler dispatches the ticket: a reservation here is always taken.
                return capacity.fits(work, estimate) && placement.tryPlace(work, estimate);
            }

            @Override
            public int slots() {
                return capacity.slots();
            }
        };
        this.starter = Objects.requireNonNull(starter, "starter");
        this.timer = timer;
        this.tokenRecheck = Objects.requireNonNull(tokenRecheck, "tokenRecheck");
        if (tokenRecheck.isNegative() || tokenRecheck.isZero()) {
            throw new IllegalArgumentException("tokenRecheck must be > 0, was " + tokenRecheck);
        }
    }

    public TenantScheduler<W> scheduler() {
        return scheduler;
    }

    /** Offers the work to the scheduler and, when it is queued, starts whatever now fits. */
    public Admission<W> submit(String tenant, W work, CostEstimate estimate, ServiceTier tier) {
        Admission<W> admission = scheduler.offer(tenant, work, estimate, tier);
        if (admission instanceof Admission.Queued<W>) {
            pump();
        }
        return admission;
    }

    /** A started ticket ended (success or failure) at {@code actual} cost. */
    public void finished(Ticket<W> ticket, ActualCost actual) {
        Objects.requireNonNull(ticket, "ticket");
        Objects.requireNonNull(actual, "actual");
        synchronized (monitor) {
            if (running.remove(ticket)) {
                scheduler.complete(ticket, actual);
                capacity.release(ticket.estimate(), actual);
            }
        }
        pump();
    }

    /**
     * Withdraws a queued ticket or stops a running one (its caller is gone), settling at {@code usedSoFar}.
     * Returns false if it had already ended.
     */
    public boolean cancel(Ticket<W> ticket, ActualCost usedSoFar) {
        Objects.requireNonNull(ticket, "ticket");
        Objects.requireNonNull(usedSoFar, "usedSoFar");
        boolean cancelled;
        synchronized (monitor) {
            boolean wasRunning = running.remove(ticket);
            cancelled = scheduler.cancel(ticket, usedSoFar);
            if (wasRunning) {
                capacity.release(ticket.estimate(), usedSoFar);
            }
        }
        pump();
        return cancelled;
    }

    /** Requests started and not yet finished or cancelled. */
    public int running() {
        synchronized (monitor) {
            return running.size();
        }
    }

    /** Starts everything the scheduler hands out while the capacity has room. */
    public void pump() {
        List<Ticket<W>> chosen = new ArrayList<>();
        synchronized (monitor) {
            for (Optional<Ticket<W>> t = scheduler.next(placing); t.isPresent(); t = scheduler.next(placing)) {
                capacity.acquire(t.get().estimate());
                running.add(t.get());
                chosen.add(t.get());
            }
            boolean timeMatters = capacity.limitsTokens() || (placement != null && placement.changesWithTime());
            if (timer != null && timeMatters && !recheckPending && scheduler.queued() > 0
                    && capacity.inFlight() < capacity.slots()) {
                recheckPending = true;
                timer.schedule(this::recheck, tokenRecheck.toNanos(), TimeUnit.NANOSECONDS);
            }
        }
        RuntimeException failure = null;
        for (Ticket<W> t : chosen) {
            try {
                starter.accept(t);
            } catch (RuntimeException e) {
                cancel(t, ActualCost.NONE);
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void recheck() {
        synchronized (monitor) {
            recheckPending = false;
        }
        pump();
    }
}
