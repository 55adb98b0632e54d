package io.fairlane.engine.runtime;

import io.fairlane.engine.Preemption;
import io.fairlane.engine.kv.KvCacheManager;
import io.fairlane.scheduler.ActualCost;
import io.fairlane.scheduler.Capacity;
import io.fairlane.scheduler.CostEstimate;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.TenantScheduler;
import io.fairlane.scheduler.TenantSpec;
import io.fairlane.scheduler.Ticket;
import io.fairlane.scheduler.Ticker;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.Optional;
import java.util.PriorityQueue;

/**
 * Decides what each engine step computes: continuous batching with chunked prefill over the paged KV cache.
 *
 * <h2>One step</h2>
 * <ol>
 *   <li><b>Decodes</b> of running choices, oldest first: one token each, whatever their tier.</li>
 *   <li><b>Prefill chunks</b> of running priority and default choices whose prompt is not yet computed, up to the
 *       rest of the step's token budget ({@code maxBatchTokens}); with preemption for a fair share, the chunks of
 *       tenants furthest below their share first, so a newcomer's prompt is not held back by a neighbour's.</li>
 *   <li>If nothing was preempted in this step: priority and default choices waiting to <b>resume</b> (preempted
 *       earlier, or admitted when the pool had no room), then <b>new work</b> from the waiting queue, a
 *       {@link TenantScheduler}, which picks the tenant by its policy (FCFS, DRR, VTC, DLPM) and asks a
 *       {@link Capacity} whether the work fits the token budget left, the free KV blocks and the sequence slots.</li>
 *   <li><b>Flex work</b> last, in the same order (prefill chunks, resumes, new work), within a flex allowance: none
 *       while priority or default work waits (it was refused a place in this step, or waits to resume) or is
 *       prefilling, otherwise an eighth of the step's budget while live work runs or ran within the last half
 *       second. A live prompt so never shares a step with a flex prefill, and one that arrives while live traffic
 *       flows waits at most for a step of a few flex chunks and decodes, never for a step full of batch prompts.
 *       Alone, flex work takes whole steps.</li>
 * </ol>
 *
 * <h2>Preemption by recompute</h2>
 * Three things preempt a running choice (whom, and the bounds, are {@link Preemptions}' job): a running choice that
 * needs a KV block when the pool has none; a priority or default request that lacks slots or blocks that running
 * flex choices hold (whatever the fair shares: flex work only has the capacity nobody else wants); and — with
 * {@link Preemption.FairShare} — a request of a tenant under its fair share that could not start otherwise. The victim's blocks are freed at once — the full ones stay in the
 * prefix cache, so resuming usually recomputes little — and it joins the resume queue with its tokens, sampling
 * state, detokenizer and stop-string state kept. Its ticket stays with it: the tenant scheduler already charged the
 * work, so it resumes ahead of its tenant's queued work and of other tenants' new work (as vLLM puts preempted
 * requests back at the head of its waiting queue), except work of a tenant under its share, which may still preempt.
 * The recomputed tokens produce no output and are charged to no tenant. A step that preempted for KV blocks admits
 * nothing new, so admissions cannot cause a preemption cascade; one that preempted for a fair share admits only the
 * request it preempted for. Flex choices waiting to resume hold back no priority or default work, only new flex
 * work.
 *
 * <h2>Admission headroom</h2>
 * New work is admitted only while a few blocks stay free for the decodes already running (one per running
 * choice, at most a tenth of the pool), so admitting a prompt rarely forces the next step to preempt.
 *
 * <p>Mutable; confined to the engine loop thread.
 */
final class BatchScheduler {

    private static final Comparator<Choice> RESUME_ORDER =
            Comparator.<Choice>comparingInt(c -> Preemptions.tierRank(c.job.request.tier()))
                    .reversed()
                    .thenComparingLong(c -> c.order)
                    .thenComparingInt(c -> c.index);

    /** The share of a step's token budget that flex prefill may take beside live work: one part in this many. */
    static final int FLEX_STEP_DIVISOR = 8;

    /**
     * How long after the last priority or default choice left the batch flex prefill stays bounded: live traffic
     * comes in bursts and gaps, and an arrival in a gap should not wait behind a whole step of flex prefill. With no
     * live work for this long, flex prefill takes whole steps.
     */
    static final long FLEX_HOLD_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    /** Tenants under their share asked for out of order per admission attempt: bounds a step's planning. */
    private static final int UNDER_SHARE_TRIES = 4;

    private final KvCacheManager kv;
    private final TenantScheduler<Work> waiting;
    private final Ticker ticker;
    private final int maxBatchTokens;
    private final int maxRunning;
    /** The most flex prefill tokens one step carries: an eighth of the step, so a live arrival never waits long. */
    private final int flexStepTokens;
    /** Whether, and when last, a priority or default choice was seen running (flex bound; loop thread only). */
    private boolean liveSeen;
    private long liveSeenAt;
    private final Preemptions preemptions;
    private final QueuedTenants queuedTenants;
    private final List<Choice> running = new ArrayList<>();
    private final PriorityQueue<Choice> resume = new PriorityQueue<>(RESUME_ORDER);
    /** Slots promised to the children of admitted n > 1 jobs that have not forked yet. */
    private int reservedSlots;

    // Per-step planning state.
    private final Map<Choice, Integer> planned = new LinkedHashMap<>();
    private int budget;
    private int stepPreemptions;
    private long stepNanos;
    /** Victims chosen by {@link #fits} for the job the queue is about to hand out; preempted at dispatch. */
    private List<Choice> fairnessVictims = List.of();
    private GenerationJob fairnessBeneficiary;
    /** Why {@link #fairnessVictims} are to be preempted. */
    private PreemptionReason victimReason = PreemptionReason.FAIR_SHARE;
    /** Set while choices wait to resume: only under-share work may be admitted. */
    private boolean onlyUnderShare;
    /** Planning flex work (the step's second phase) rather than priority and default work. */
    private boolean flexPhase;
    /** Flex prefill tokens the step may still take, and what it started the flex phase with. */
    private int flexLeft;
    private int flexAtStart;
    /** Priority or default work asked for a place this step and was refused. */
    private boolean liveRefused;

    BatchScheduler(KvCacheManager kv, TenantScheduler<Work> waiting, Ticker ticker, int maxBatchTokens,
                   int maxRunning, List<TenantSpec> tenants) {
        this(kv, waiting, ticker, maxBatchTokens, maxRunning, tenants, Preemption.none(), new QueuedTenants());
    }

    /**
     * @param preemption    whether to preempt over-share tenants for an under-share arrival
     * @param queuedTenants tenants with generations queued, counted by the intake; hand-outs are counted here
     */
    BatchScheduler(KvCacheManager kv, TenantScheduler<Work> waiting, Ticker ticker, int maxBatchTokens,
                   int maxRunning, List<TenantSpec> tenants, Preemption preemption, QueuedTenants queuedTenants) {
        this.kv = Objects.requireNonNull(kv, "kv");
        this.waiting = Objects.requireNonNull(waiting, "waiting");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        if (maxBatchTokens <= 0 || maxRunning <= 0) {
            throw new IllegalArgumentException("maxBatchTokens and maxRunning must be > 0");
        }
        this.maxBatchTokens = maxBatchTokens;
        this.maxRunning = maxRunning;
        this.flexStepTokens = Math.max(1, maxBatchTokens / FLEX_STEP_DIVISOR);
        this.preemptions = new Preemptions(kv, maxRunning, preemption, tenants);
        this.queuedTenants = Objects.requireNonNull(queuedTenants, "queuedTenants");
    }

    void updateTenants(List<TenantSpec> tenants) {
        preemptions.updateTenants(tenants);
    }

    /** Plans the next step. */
    StepPlan schedule() {
        planned.clear();
        budget = maxBatchTokens;
        stepPreemptions = 0;
        stepNanos = ticker.nanos();
        liveRefused = false;
        flexPhase = false;
        List<GenerationJob> started = new ArrayList<>();
        List<EmbeddingJob> embeddings = new ArrayList<>();
        List<Work> abandoned = new ArrayList<>();

        for (Choice c : List.copyOf(running)) {
            if (budget == 0) {
                break;
            }
            if (c.decoding() && !c.waitingToResume && c.schedulable()) {
                scheduleRunning(c, budget);
            }
        }
        // Priority and default work first: its prefills, its resumes, its new requests.
        schedulePrefills(false);
        if (stepPreemptions == 0) {
            resumeWaiting(started);
            // Choices waiting to resume were admitted earlier: new work must not overtake them for room, except
            // work of a tenant under its fair share when preemption for fairness is on. Flex choices waiting to
            // resume hold back no priority or default work.
            Choice next = resume.peek();
            onlyUnderShare = next != null && !flex(next.job);
            if (!onlyUnderShare || preemptions.fairShare()) {
                admitNew(started, embeddings, abandoned);
            }
        }
        // Then flex work, in what the step has left and never beside a live prefill (see the class comment).
        flexLeft = flexAllowance();
        flexAtStart = flexLeft;
        schedulePrefills(true);
        if (stepPreemptions == 0 && flexLeft > 0) {
            flexPhase = true;
            resumeWaiting(started);
            onlyUnderShare = !resume.isEmpty();
            if (!onlyUnderShare || preemptions.fairShare()) {
                admitNew(started, embeddings, abandoned);
            }
        }
        List<StepPlan.Chunk> chunks = new ArrayList<>(planned.size());
        planned.forEach((choice, tokens) -> chunks.add(new StepPlan.Chunk(choice, tokens)));
        return new StepPlan(chunks, embeddings, started, abandoned, stepPreemptions);
    }

    /** Prefill chunks of running choices of the flex tier ({@code flexTier}) or of the others. */
    private void schedulePrefills(boolean flexTier) {
        List<Choice> prefilling = new ArrayList<>();
        for (Choice c : running) {
            if (flex(c.job) == flexTier && !c.waitingToResume && !planned.containsKey(c)
                    && c.seq.uncomputedTokens() > 0 && c.schedulable()) {
                prefilling.add(c);
            }
        }
        for (Choice c : preemptions.prefillOrder(prefilling, running)) {
            int limit = flexTier ? Math.min(budget, flexLeft) : budget;
            if (limit == 0) {
                break;
            }
            if (running.contains(c) && !planned.containsKey(c)) {
                int before = budget;
                scheduleRunning(c, limit);
                if (flexTier) {
                    flexLeft -= Math.max(0, before - budget);
                }
            }
        }
    }

    /**
     * Flex prefill tokens this step may carry: none while priority or default work waits (refused a place this
     * step, or preempted and waiting to resume) or is prefilling; otherwise at most {@link #flexStepTokens} while
     * live work runs or ran within {@link #FLEX_HOLD_NANOS}, and the whole step's budget when flex is alone.
     */
    private int flexAllowance() {
        if (liveRefused) {
            return 0;
        }
        for (Choice c : resume) {
            if (!flex(c.job)) {
                return 0;
            }
        }
        for (Choice c : running) {
            if (!flex(c.job) && !c.waitingToResume && c.seq.uncomputedTokens() > 0 && !c.decoding()) {
                return 0;
            }
        }
        boolean live = false;
        for (Choice c : running) {
            if (!flex(c.job)) {
                live = true;
                break;
            }
        }
        long now = ticker.nanos();
        if (live) {
            liveSeen = true;
            liveSeenAt = now;
        } else if (!liveSeen || now - liveSeenAt >= FLEX_HOLD_NANOS) {
            return budget; // flex alone: whole steps, at full speed
        }
        return Math.min(budget, flexStepTokens);
    }

    static boolean flex(Work work) {
        return switch (work) {
            case GenerationJob g -> g.request.tier() == ServiceTier.FLEX;
            case EmbeddingJob e -> e.request.tier() == ServiceTier.FLEX;
        };
    }

    /** Room for a running choice's next tokens, preempting until it fits or it is the victim itself. */
    private void scheduleRunning(Choice c, int limit) {
        int tokens = Math.min(c.seq.uncomputedTokens(), limit);
        while (!kv.allocateSlots(c.seq, tokens)) {
            Choice victim = preemptions.forKvCache(c, running, stepNanos);
            preempt(victim, PreemptionReason.KV_CACHE);
            if (victim == c) {
                return;
            }
        }
        planned.put(c, tokens);
        budget -= tokens;
    }

    /** Resumes waiting choices: of the flex tier in the flex phase, of the others before it. */
    private void resumeWaiting(List<GenerationJob> started) {
        while (prefillLimit() > 0 && !resume.isEmpty() && running.size() + reservedSlots < maxRunning) {
            Choice c = resume.peek();
            if (flex(c.job) != flexPhase) {
                return; // the resume order puts every flex choice last
            }
            if (c.seq.pendingTokens() > 0) {
                return; // preempted while its last token was being sampled: it resumes once that id is known
            }
            int limit = prefillLimit();
            int reserve = running.isEmpty() ? 0 : headroom();
            if (kv.freeBlocks() - reserve < kv.blocksNeededForPrefill(c.seq, limit)) {
                return;
            }
            int tokens = kv.allocatePrefill(c.seq, limit);
            if (tokens == KvCacheManager.NO_ROOM) {
                return;
            }
            if (flexPhase) {
                flexLeft -= tokens;
            }
            resume.poll();
            c.waitingToResume = false;
            preemptions.resumed(c, stepNanos);
            running.add(c);
            planned.put(c, tokens);
            budget -= tokens;
            markStarted(c.job, started);
        }
    }

    private void admitNew(List<GenerationJob> started, List<EmbeddingJob> embeddings, List<Work> abandoned) {
        Capacity<Work> capacity = new Capacity<>() {
            @Override
            public boolean fits(Work work, CostEstimate estimate) {
                return BatchScheduler.this.fits(work, estimate);
            }

            /** Sequence slots: a tenant's maxShare caps its running requests at a fraction of these. */
            @Override
            public int slots() {
                return maxRunning;
            }
        };
        while (budget > 0) {
            Optional<Ticket<Work>> next = waiting.next(capacity);
            if (next.isEmpty()) {
                next = nextUnderShare(capacity);
            }
            if (next.isEmpty()) {
                return;
            }
            Ticket<Work> ticket = next.get();
            Work work = ticket.work();
            work.ticket(ticket);
            if (work instanceof GenerationJob) {
                queuedTenants.left(work.tenant());
            }
            if (work.abortRequested()) {
                waiting.cancel(ticket, ActualCost.NONE);
                abandoned.add(work);
                continue;
            }
            if (flexPhase && !flex(work)) {
                flexLeft = 0; // arrived since the first phase: its prefill now keeps flex out of this step
            }
            switch (work) {
                case EmbeddingJob e -> {
                    embeddings.add(e);
                    if (flexPhase && flex(e)) {
                        flexLeft -= Math.min(flexLeft, e.totalTokens);
                    }
                    budget -= Math.min(budget, e.totalTokens);
                }
                case GenerationJob g -> {
                    boolean preempted = fairnessBeneficiary == g && !fairnessVictims.isEmpty()
                            && victimReason == PreemptionReason.FAIR_SHARE;
                    dispatch(g, started);
                    if (preempted) {
                        return; // the victims now wait to resume; nothing else overtakes them this step
                    }
                }
            }
        }
    }

    /**
     * When the policy's choice does not fit: the first request of a tenant under its fair share, which may start by
     * preempting, out of the policy's order (tenants furthest below their share first, a few per step). Without it
     * a tenant under its share would still wait whenever the policy picks a tenant above its own.
     */
    private Optional<Ticket<Work>> nextUnderShare(Capacity<Work> capacity) {
        if (!preemptions.fairShare() || running.isEmpty()) {
            return Optional.empty();
        }
        List<String> candidates = preemptions.underShare(queuedTenants.tenants(), running);
        for (int i = 0; i < Math.min(candidates.size(), UNDER_SHARE_TRIES); i++) {
            Optional<Ticket<Work>> t = waiting.nextOf(candidates.get(i), capacity);
            if (t.isPresent()) {
                return t;
            }
        }
        return Optional.empty();
    }

    private void dispatch(GenerationJob job, List<GenerationJob> started) {
        if (fairnessBeneficiary == job) {
            for (Choice victim : fairnessVictims) {
                preempt(victim, victimReason);
            }
            fairnessVictims = List.of();
            fairnessBeneficiary = null;
        }
        job.dispatched = true;
        job.dispatchedNanos = ticker.nanos();
        Choice root = job.choices.getFirst();
        reservedSlots += job.n() - 1;
        int tokens = kv.allocatePrefill(root.seq, limitFor(job));
        if (tokens == KvCacheManager.NO_ROOM) {
            // The capacity check said it fits; only a race with eviction could get here. Wait for room.
            root.waitingToResume = true;
            resume.add(root);
            return;
        }
        running.add(root);
        planned.put(root, tokens);
        budget -= tokens;
        if (flexPhase && flex(job)) {
            flexLeft -= tokens;
        }
        markStarted(job, started);
    }

    private void markStarted(GenerationJob job, List<GenerationJob> started) {
        if (!job.scheduledEmitted) {
            job.scheduledEmitted = true;
            started.add(job);
        }
        job.promptTokensReached = Math.max(job.promptTokensReached,
                Math.min(job.promptTokens(), job.choices.getFirst().seq.computedTokens()));
    }

    /**
     * The tenant scheduler's question: could this work start now (possibly by preempting)? Flex work only in the
     * flex phase; other work may preempt running flex sequences, else (with preemption for fairness) over-share ones.
     */
    private boolean fits(Work work, CostEstimate estimate) {
        fairnessBeneficiary = null;
        fairnessVictims = List.of();
        boolean fits = fitsNow(work);
        if (!fits && !flex(work)) {
            liveRefused = true;
        }
        return fits;
    }

    private boolean fitsNow(Work work) {
        if (flex(work) && (!flexPhase || flexLeft <= 0)) {
            return false; // its turn comes after every other tier's, in what the step has left
        }
        int limit = limitFor(work);
        return switch (work) {
            case EmbeddingJob e -> !onlyUnderShare && (e.totalTokens <= limit
                    || flexPhase && flexLeft == flexAtStart && e.totalTokens <= budget
                    || planned.isEmpty() && budget == maxBatchTokens);
            case GenerationJob g -> {
                int freeSlots = maxRunning - running.size() - reservedSlots;
                int reserve = running.isEmpty() ? 0 : headroom();
                int freeBlocks = kv.freeBlocks() - reserve;
                int slotsShort = running.isEmpty() ? 0 : Math.max(0, g.n() - freeSlots);
                int blocksNeeded = kv.blocksNeededForPrefill(g.choices.getFirst().seq, limit);
                int blocksShort = Math.max(0, blocksNeeded - freeBlocks);
                if (slotsShort == 0 && blocksShort == 0 && !onlyUnderShare) {
                    yield true;
                }
                List<Choice> victims = onlyUnderShare || flex(g) ? null
                        : preemptions.forLiveArrival(slotsShort, blocksShort, running);
                victimReason = PreemptionReason.FLEX;
                if (victims == null) {
                    victims = preemptions.forFairShare(g, slotsShort, blocksShort, blocksNeeded, running, stepNanos);
                    victimReason = PreemptionReason.FAIR_SHARE;
                }
                if (victims == null) {
                    yield false;
                }
                fairnessVictims = victims;
                fairnessBeneficiary = g;
                yield true;
            }
        };
    }

    /** Prefill tokens a chunk may take now: the step's budget, and in the flex phase what flex has left of it. */
    private int prefillLimit() {
        return flexPhase ? Math.min(budget, flexLeft) : budget;
    }

    /** {@link #prefillLimit()} for {@code work}: flex work is held to the flex allowance, other work is not. */
    private int limitFor(Work work) {
        return flex(work) ? prefillLimit() : budget;
    }

    private int headroom() {
        return Math.min(running.size(), kv.totalBlocks() / 10);
    }

    private void preempt(Choice victim, PreemptionReason reason) {
        Integer plannedTokens = planned.remove(victim);
        if (plannedTokens != null) {
            budget += plannedTokens;
        }
        preemptions.preempted(victim, reason, stepNanos);
        kv.free(victim.seq);
        running.remove(victim);
        victim.waitingToResume = true;
        resume.add(victim);
        stepPreemptions++;
    }

    /** Adds a freshly forked choice to the running batch; its slot was reserved at admission. */
    void addForked(Choice child) {
        reservedSlots--;
        running.add(child);
    }

    /** A choice finished: its blocks go back to the pool (deepest first) at once. */
    void finish(Choice c) {
        kv.free(c.seq);
        running.remove(c);
        if (c.waitingToResume) {
            resume.remove(c);
            c.waitingToResume = false;
            preemptions.dropped(c, ticker.nanos());
        }
    }

    /** Removes every trace of a job (abort, failure, shutdown), freeing its blocks and unused reservations. */
    void remove(GenerationJob job) {
        for (Choice c : job.choices) {
            if (!c.finished) {
                finish(c);
            }
        }
        if (job.dispatched && !job.forked) {
            reservedSlots -= job.n() - 1;
        }
    }

    List<Choice> running() {
        return running;
    }

    int resumeQueueSize() {
        return resume.size();
    }

    long preemptions() {
        return preemptions.total();
    }

    /** Per tenant: preemptions by reason, recomputed tokens, time preempted (open spells counted up to now). */
    Map<String, Preemptions.TenantPreemptions> preemptionsByTenant() {
        return preemptions.byTenant(resume, ticker.nanos());
    }

    /** Jobs with a choice running or waiting to resume; for shutdown. */
    List<GenerationJob> activeJobs() {
        Map<GenerationJob, Boolean> jobs = new IdentityHashMap<>();
        running.forEach(c -> jobs.put(c.job, Boolean.TRUE));
        resume.forEach(c -> jobs.put(c.job, Boolean.TRUE));
        return new ArrayList<>(jobs.keySet());
    }

    boolean idle() {
        return running.isEmpty() && resume.isEmpty() && waiting.queued() == 0;
    }

    @Override
    public String toString() {
        return "BatchScheduler[running=" + running.size() + ", resuming=" + resume.size() + ", queued="
                + waiting.queued() + ", preemptions=" + preemptions.total() + "]";
    }
}
