package io.fairlane.scheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;

/**
 * The one {@link TenantScheduler} implementation; the {@link Policy} only chooses its {@link Discipline}.
 *
 * <h2>Implementation notes</h2>
 *
 * <p><b>Structure.</b> Each tenant has a {@link TenantAccount} with two {@link TenantFlow}s: {@code main}
 * (priority and default tiers) and {@code flex}. Each flow holds intrusive FIFO lists of tickets (priority
 * before default). Each class has its own {@link Discipline} instance, which keeps the dispatchable flows
 * in heaps: FCFS by oldest first ticket, VTC by counter (Sheng et al., OSDI 2024), DRR/DLPM by deficit
 * with a round counter (Shreedhar and Varghese, SIGCOMM 1995; Cao et al., arXiv 2501.14312). A decision is
 * O(log n) in the number of tenants with queued work; nothing scans all tenants or all tickets, except
 * DLPM's longest-prefix-match scan, which only runs while at most {@code lpmWaitingLimit} tickets wait.
 *
 * <p><b>Out of order.</b> {@code nextOf} dispatches one tenant's first main-class ticket whatever the policy would
 * pick (an engine preempting for a tenant under its fair share); the charge and the discipline's bookkeeping are
 * those of any dispatch.
 *
 * <p><b>Tiers.</b> {@code next} asks the main discipline first and the flex one only when no main flow is
 * dispatchable, so flex work only gets capacity that no priority or default work of any tenant could use.
 * Within a tenant's main flow, priority tickets go before default ones; across tenants the policy decides,
 * so priority work is served first within its tenant's share and never beyond it.
 *
 * <p><b>Charging.</b> Service is {@link CostWeights}: extend (uncached input) tokens × 1 + output tokens × 2
 * by default. At dispatch the input is charged on the estimate, with the cached part taken as the larger
 * of the estimate's {@code cachedTokens} and what the {@link PrefixMatcher} reports then. Output is charged
 * as {@link #progress} reports it (VTC, DLPM: the papers' per-step charges), or, for DRR, the estimate's
 * whole {@code maxOutputTokens} at dispatch, since DRR serves lanes that may report nothing until the end.
 * {@link #complete} corrects the charge to the actual cost; {@link #cancel} settles at what was used, so
 * a cancelled ticket's unused charge is refunded.
 *
 * <p><b>Caps.</b> A tenant's {@code maxShare} is a fraction of the lane's running slots
 * ({@link Capacity#slots()}): a tenant running {@code max(1, floor(maxShare × slots))} tickets is taken out
 * of its disciplines until one finishes, even when nobody else wants the capacity. A capped tenant does
 * not count as backlogged, so it neither holds back DRR refills nor anchors VTC's lift.
 *
 * <p><b>Admission.</b> {@code offer} checks, in order: tenant known, tier allowed, queued requests, queued
 * tokens, requests per minute, tokens per minute. Rate limits are continuously refilling buckets of one
 * minute's allowance; an admitted offer takes one request and {@link CostEstimate#reservedTokens()} tokens
 * under the lock, so concurrent offers can never overrun a limit; settlement refunds the tokens not used,
 * and a ticket cancelled before it ran gets its request back too. A rejection's retry-after comes from
 * the bucket for rate limits, and from the tenant's queue excess divided by its recent drain rate (decayed
 * over about ten seconds) for queue bounds, clamped to [1 ms, 60 s]; one second when nothing has drained
 * yet.
 *
 * <p><b>Threads.</b> One {@link ReentrantLock} guards all state. {@code offer}, {@code next},
 * {@code progress}, {@code complete} and {@code cancel} each hold it for O(log n) work. The caller's
 * {@link Capacity#fits}, the {@link PrefixMatcher} and {@link SchedulerStats} run under the lock and must
 * not call back into the scheduler.
 *
 * @param <W> the work type
 */
final class FairScheduler<W> implements TenantScheduler<W> {


    private final ReentrantLock lock = new ReentrantLock();
    private final Policy policy;
    private final CostWeights weights;
    private final PrefixMatcher<W> matcher;
    private final Ticker ticker;
    private final SchedulerStats stats;
    private final Discipline main;
    private final Discipline flex;
    private final Map<String, TenantAccount> accounts = new HashMap<>();
    /** Tickets queued per {@link ServiceClass} ordinal. */
    private final int[] waiting = new int[2];
    private long nextTicketId = 1;
    /** Numbers accounts (and through them flows) densely, for the heaps' position arrays. */
    private int nextAccountNumber;
    /** The lane's slots as the last {@code next} call's capacity reported them. */
    private int slots;

    @SuppressWarnings("unchecked")
    FairScheduler(Policy policy, List<TenantSpec> tenants, CostWeights weights, PrefixMatcher<W> matcher,
            Ticker ticker, SchedulerStats stats) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.weights = Objects.requireNonNull(weights, "weights");
        this.matcher = Objects.requireNonNull(matcher, "matcher");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.stats = Objects.requireNonNull(stats, "stats");
        PrefixMatcher<Object> anyMatcher = (PrefixMatcher<Object>) matcher;
        this.main = discipline(policy, anyMatcher);
        this.flex = discipline(policy, anyMatcher);
        updateTenants(tenants);
        stats.attach(this::snapshot);
    }

    private static Discipline discipline(Policy policy, PrefixMatcher<Object> matcher) {
        return switch (policy) {
            case Policy.Fcfs f -> new FcfsDiscipline();
            case Policy.VirtualTokenCounter v -> new CounterDiscipline();
            case Policy.DeficitRoundRobin d -> new DeficitDiscipline(d.quantum(), true, null, 0);
            case Policy.DeficitLongestPrefixMatch d ->
                    new DeficitDiscipline(d.quantum(), false, matcher, d.lpmWaitingLimit());
        };
    }

    private Discipline discipline(ServiceClass c) {
        return c == ServiceClass.MAIN ? main : flex;
    }

    // ---- admission ----

    @Override
    public Admission<W> offer(String tenant, W work, CostEstimate estimate, ServiceTier tier) {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(work, "work");
        Objects.requireNonNull(estimate, "estimate");
        Objects.requireNonNull(tier, "tier");
        lock.lock();
        try {
            long now = ticker.nanos();
            TenantAccount a = accounts.get(tenant);
            if (a == null || a.removed) {
                stats.recordRejected(tenant, Admission.Reason.UNKNOWN_TENANT);
                return new Admission.Rejected<>(Admission.Reason.UNKNOWN_TENANT, Duration.ZERO,
                        "no tenant '" + tenant + "' on this lane", RateLimitStatus.UNLIMITED);
            }
            TenantSpec spec = a.spec;
            if (!a.allows(tier)) {
                String allowed = spec.tiers().stream().map(ServiceTier::wireName).sorted()
                        .collect(Collectors.joining(", "));
                return reject(a, Admission.Reason.TIER_NOT_ALLOWED, Duration.ZERO,
                        "service tier '" + tier.wireName() + "' is not available to this tenant; allowed: "
                                + allowed, now);
            }
            long reserved = estimate.reservedTokens();
            if (a.queuedRequests >= spec.maxQueuedRequests()) {
                double excess = a.queuedRequests - spec.maxQueuedRequests() + 1;
                return reject(a, Admission.Reason.QUEUE_FULL, DrainRate.timeToDrain(a.drained.requestsPerNano(now), excess),
                        "too many requests queued for this tenant (limit " + spec.maxQueuedRequests() + ")", now);
            }
            if (a.queuedTokens + reserved > spec.maxQueuedTokens()) {
                double excess = a.queuedTokens + reserved - spec.maxQueuedTokens();
                String message = reserved > spec.maxQueuedTokens()
                        ? "request needs " + reserved + " tokens (prompt + max output), more than this tenant may "
                                + "queue (" + spec.maxQueuedTokens() + ")"
                        : "too many tokens queued for this tenant (limit " + spec.maxQueuedTokens() + ")";
                return reject(a, Admission.Reason.QUEUED_TOKENS, DrainRate.timeToDrain(a.drained.tokensPerNano(now), excess),
                        message, now);
            }
            if (a.requestBucket != null && a.requestBucket.remaining(now) < 1) {
                return reject(a, Admission.Reason.REQUESTS_PER_MINUTE, a.requestBucket.timeUntil(1, now),
                        "requests per minute limit reached (" + a.requestBucket.perMinute() + ")", now);
            }
            if (a.tokenBucket != null) {
                long limit = a.tokenBucket.perMinute();
                if (reserved > limit) {
                    return reject(a, Admission.Reason.TOKENS_PER_MINUTE, a.tokenBucket.timeUntilFull(now),
                            "request needs " + reserved + " tokens (prompt + max output), more than the tokens per "
                                    + "minute limit (" + limit + ")", now);
                }
                if (!a.tokenBucket.tryTake(reserved, now)) {
                    return reject(a, Admission.Reason.TOKENS_PER_MINUTE, a.tokenBucket.timeUntil(reserved, now),
                            "tokens per minute limit reached (" + limit + ")", now);
                }
            }
            QueuedTicket<W> t = new QueuedTicket<>(this, nextTicketId++, a.flow(ServiceClass.of(tier)), work, tier,
                    estimate, now);
            if (a.requestBucket != null) {
                a.requestBucket.tryTake(1, now);
                t.reservedRequest = true;
            }
            if (a.tokenBucket != null) {
                t.reservedTokens = reserved;
            }
            enqueue(t);
            stats.recordQueued(tenant, tier);
            return new Admission.Queued<>(t, status(a, now));
        } finally {
            lock.unlock();
        }
    }

    private Admission<W> reject(TenantAccount a, Admission.Reason reason, Duration retryAfter, String message,
            long now) {
        a.rejections++;
        stats.recordRejected(a.id(), reason);
        return new Admission.Rejected<>(reason, retryAfter, message, status(a, now));
    }

    private void enqueue(QueuedTicket<W> t) {
        TenantFlow f = t.flow;
        TenantAccount a = f.account;
        boolean wasEmpty = f.queued() == 0;
        QueuedTicket<?> oldHead = f.head();
        (t.tier() == ServiceTier.PRIORITY ? f.priority : f.normal).addLast(t);
        a.queuedRequests++;
        a.queuedTokens += t.estimate().reservedTokens();
        waiting[f.serviceClass.ordinal()]++;
        if (wasEmpty) {
            f.returning = true;
            schedule(f);
        } else if (f.scheduled && f.head() != oldHead) {
            discipline(f.serviceClass).headChanged(f);
        }
    }

    // ---- dispatch ----

    @Override
    public Optional<Ticket<W>> next(Capacity<W> capacity) {
        Objects.requireNonNull(capacity, "capacity");
        lock.lock();
        try {
            updateSlots(capacity.slots());
            QueuedTicket<?> chosen = main.select(waiting[ServiceClass.MAIN.ordinal()]);
            if (chosen == null) {
                chosen = flex.select(waiting[ServiceClass.FLEX.ordinal()]);
            }
            if (chosen == null) {
                return Optional.empty();
            }
            @SuppressWarnings("unchecked")
            QueuedTicket<W> t = (QueuedTicket<W>) chosen;
            if (!capacity.fits(t.work(), t.estimate())) {
                return Optional.empty();
            }
            dispatch(t, ticker.nanos());
            return Optional.of(t);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Optional<Ticket<W>> nextOf(String tenant, Capacity<W> capacity) {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(capacity, "capacity");
        lock.lock();
        try {
            updateSlots(capacity.slots());
            TenantAccount a = accounts.get(tenant);
            TenantFlow f = a == null ? null : a.flow(ServiceClass.MAIN);
            if (f == null || !f.scheduled) {
                return Optional.empty(); // nothing queued, or at its cap
            }
            @SuppressWarnings("unchecked")
            QueuedTicket<W> t = (QueuedTicket<W>) f.head();
            if (!capacity.fits(t.work(), t.estimate())) {
                return Optional.empty();
            }
            dispatch(t, ticker.nanos());
            return Optional.of(t);
        } finally {
            lock.unlock();
        }
    }

    private void dispatch(QueuedTicket<W> t, long now) {
        TenantFlow f = t.flow;
        TenantAccount a = f.account;
        Discipline d = discipline(f.serviceClass);
        QueuedTicket<?> oldHead = f.head();
        removeFromQueue(t);
        t.state = QueuedTicket.State.RUNNING;
        a.running++;

        CostEstimate e = t.estimate();
        int cached = Math.max(e.cachedTokens(), Math.clamp(matcher.cachedPrefixTokens(t.work()), 0, e.promptTokens()));
        t.chargedInput = weights.extend() * (e.promptTokens() - cached);
        t.chargedOutputTokens = d.chargesOutputUpfront() ? e.maxOutputTokens() : 0;
        double amount = t.chargedInput + weights.output() * t.chargedOutputTokens;
        // One re-keying for both the charge and the new first ticket; an emptied flow leaves first.
        if (f.queued() == 0) {
            unschedule(f);
            charge(f, amount, false);
            d.emptied(f);
        } else {
            charge(f, amount, f.scheduled && f.head() != oldHead);
        }

        a.drained.add(1, e.reservedTokens(), now);
        refreshCap(a);
        stats.recordDispatched(a.id(), t.tier(), now - t.enqueuedNanos());
    }

    /** Takes a queued ticket out of its flow's list and the queue counts; the discipline is not told. */
    private void removeFromQueue(QueuedTicket<?> t) {
        TenantFlow f = t.flow;
        TenantAccount a = f.account;
        t.queue.remove(t);
        waiting[f.serviceClass.ordinal()]--;
        a.queuedRequests--;
        a.queuedTokens -= t.estimate().reservedTokens();
    }

    /** Takes a queued ticket out of its flow and keeps counts and the discipline in step. */
    private void unqueue(QueuedTicket<?> t) {
        TenantFlow f = t.flow;
        QueuedTicket<?> oldHead = f.head();
        removeFromQueue(t);
        Discipline d = discipline(f.serviceClass);
        if (f.queued() == 0) {
            unschedule(f);
            d.emptied(f);
        } else if (f.scheduled && f.head() != oldHead) {
            d.headChanged(f);
        }
    }

    private void charge(TenantFlow f, double amount, boolean headChanged) {
        if (amount != 0 || headChanged) {
            f.account.service += amount;
            discipline(f.serviceClass).charge(f, amount, headChanged);
        }
    }

    private void charge(TenantFlow f, double amount) {
        charge(f, amount, false);
    }

    private void schedule(TenantFlow f) {
        if (!f.scheduled && f.queued() > 0 && !f.account.capped) {
            discipline(f.serviceClass).enter(f, f.returning);
            f.returning = false;
            f.scheduled = true;
        }
    }

    private void unschedule(TenantFlow f) {
        if (f.scheduled) {
            discipline(f.serviceClass).leave(f);
            f.scheduled = false;
        }
    }

    private void refreshCap(TenantAccount a) {
        boolean capped = a.running >= a.runningCap(slots);
        if (capped != a.capped) {
            a.capped = capped;
            if (capped) {
                unschedule(a.main);
                unschedule(a.flex);
            } else {
                schedule(a.main);
                schedule(a.flex);
            }
        }
    }

    private void updateSlots(int newSlots) {
        if (newSlots != slots) {
            slots = Math.max(0, newSlots);
            for (TenantAccount a : accounts.values()) {
                refreshCap(a);
            }
        }
    }

    // ---- settlement ----

    @SuppressWarnings("unchecked")
    private QueuedTicket<W> own(Ticket<W> ticket) {
        Objects.requireNonNull(ticket, "ticket");
        if (!(ticket instanceof QueuedTicket<?> t) || t.owner != this) {
            throw new IllegalArgumentException("ticket " + ticket.id() + " was not issued by this scheduler");
        }
        return (QueuedTicket<W>) t;
    }

    @Override
    public void progress(Ticket<W> ticket, int newOutputTokens) {
        if (newOutputTokens < 0) {
            throw new IllegalArgumentException("newOutputTokens must be >= 0, was " + newOutputTokens);
        }
        lock.lock();
        try {
            QueuedTicket<W> t = own(ticket);
            switch (t.state) {
                case QUEUED -> throw new IllegalStateException("ticket " + t.id() + " has not been dispatched");
                case SETTLED -> {
                    return; // a late report racing a cancel: nothing to charge
                }
                case RUNNING -> {
                    t.reportedOutputTokens += newOutputTokens;
                    long extra = t.reportedOutputTokens - t.chargedOutputTokens;
                    if (extra > 0) {
                        t.chargedOutputTokens += extra;
                        charge(t.flow, weights.output() * extra);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void complete(Ticket<W> ticket, ActualCost actual) {
        Objects.requireNonNull(actual, "actual");
        lock.lock();
        try {
            QueuedTicket<W> t = own(ticket);
            switch (t.state) {
                case QUEUED -> throw new IllegalStateException("ticket " + t.id() + " has not been dispatched");
                case SETTLED -> {
                    // already cancelled: a completion racing a disconnect settles nothing twice
                }
                case RUNNING -> {
                    settleRunning(t, actual, ticker.nanos());
                    stats.recordCompleted(t.tenant(), weights.of(actual));
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean cancel(Ticket<W> ticket, ActualCost usedSoFar) {
        Objects.requireNonNull(usedSoFar, "usedSoFar");
        lock.lock();
        try {
            QueuedTicket<W> t = own(ticket);
            long now = ticker.nanos();
            switch (t.state) {
                case SETTLED -> {
                    return false;
                }
                case QUEUED -> {
                    unqueue(t);
                    t.state = QueuedTicket.State.SETTLED;
                    charge(t.flow, weights.of(usedSoFar));
                    TenantAccount a = t.flow.account;
                    if (t.reservedRequest && a.requestBucket != null) {
                        a.requestBucket.refund(1, now);
                    }
                    refundTokens(t, usedSoFar, now);
                    dropIfGone(a);
                }
                case RUNNING -> settleRunning(t, usedSoFar, now);
            }
            stats.recordCancelled(t.tenant());
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void settleRunning(QueuedTicket<W> t, ActualCost actual, long now) {
        double charged = t.chargedInput + weights.output() * t.chargedOutputTokens;
        charge(t.flow, weights.of(actual) - charged);
        t.state = QueuedTicket.State.SETTLED;
        TenantAccount a = t.flow.account;
        a.running--;
        refundTokens(t, actual, now);
        refreshCap(a);
        dropIfGone(a);
    }

    /** Gives back the reservation's unused tokens, or charges what was used beyond it. */
    private static void refundTokens(QueuedTicket<?> t, ActualCost used, long now) {
        TenantAccount a = t.flow.account;
        if (t.reservedTokens > 0 && a.tokenBucket != null) {
            long unused = t.reservedTokens - ((long) used.promptTokens() + used.outputTokens());
            if (unused >= 0) {
                a.tokenBucket.refund(unused, now);
            } else {
                a.tokenBucket.charge(-unused, now);
            }
        }
    }

    private void dropIfGone(TenantAccount a) {
        if (a.removed && a.idle() && accounts.get(a.id()) == a) {
            accounts.remove(a.id());
        }
    }

    // ---- configuration and views ----

    @Override
    public void updateTenants(List<TenantSpec> tenants) {
        Objects.requireNonNull(tenants, "tenants");
        Set<String> ids = new HashSet<>();
        for (TenantSpec spec : tenants) {
            Objects.requireNonNull(spec, "tenant spec");
            if (!ids.add(spec.id())) {
                throw new IllegalArgumentException("tenant " + spec.id() + " is listed twice");
            }
        }
        lock.lock();
        try {
            long now = ticker.nanos();
            for (TenantSpec spec : tenants) {
                TenantAccount a = accounts.get(spec.id());
                if (a == null) {
                    accounts.put(spec.id(), new TenantAccount(spec, nextAccountNumber++, now));
                    continue;
                }
                // Leave and re-enter so a discipline re-keys balances that depend on the weight.
                unschedule(a.main);
                unschedule(a.flex);
                a.setSpec(spec);
                a.removed = false;
                a.applyLimits(spec.rateLimits(), now);
                a.capped = a.running >= a.runningCap(slots);
                schedule(a.main);
                schedule(a.flex);
            }
            for (TenantAccount a : new ArrayList<>(accounts.values())) {
                if (!ids.contains(a.id())) {
                    a.removed = true;
                    dropIfGone(a);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public RateLimitStatus rateLimitStatus(String tenant) {
        Objects.requireNonNull(tenant, "tenant");
        lock.lock();
        try {
            TenantAccount a = accounts.get(tenant);
            return a == null ? RateLimitStatus.UNLIMITED : status(a, ticker.nanos());
        } finally {
            lock.unlock();
        }
    }

    private static RateLimitStatus status(TenantAccount a, long now) {
        TokenBucket r = a.requestBucket;
        TokenBucket k = a.tokenBucket;
        if (r == null && k == null) {
            return RateLimitStatus.UNLIMITED;
        }
        return new RateLimitStatus(
                r == null ? 0 : r.perMinute(), r == null ? 0 : r.remaining(now),
                r == null ? Duration.ZERO : r.timeUntilFull(now),
                k == null ? 0 : k.perMinute(), k == null ? 0 : k.remaining(now),
                k == null ? Duration.ZERO : k.timeUntilFull(now));
    }

    @Override
    public int queued() {
        lock.lock();
        try {
            return waiting[0] + waiting[1];
        } finally {
            lock.unlock();
        }
    }

    @Override
    public SchedulerSnapshot snapshot() {
        lock.lock();
        try {
            long now = ticker.nanos();
            Map<String, SchedulerSnapshot.TenantState> states = new LinkedHashMap<>();
            for (TenantAccount a : accounts.values()) {
                long oldest = Long.MAX_VALUE;
                for (QueuedTicket<?> h : new QueuedTicket<?>[] {a.main.priority.first, a.main.normal.first,
                        a.flex.normal.first}) {
                    if (h != null) {
                        oldest = Math.min(oldest, h.enqueuedNanos());
                    }
                }
                long oldestWait = oldest == Long.MAX_VALUE ? 0 : Math.max(0, now - oldest);
                states.put(a.id(), new SchedulerSnapshot.TenantState(a.queuedRequests, a.queuedTokens, a.running,
                        a.service, main.balance(a.main), a.rejections, oldestWait));
            }
            return new SchedulerSnapshot(policy, states);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "FairScheduler[" + policy + ", tenants=" + accounts.size() + "]";
    }
}
