package io.fairlane.engine.runtime;

import io.fairlane.engine.EmbeddingRequest;
import io.fairlane.engine.EmbeddingResult;
import io.fairlane.engine.EngineException;
import io.fairlane.engine.EngineException.Kind;
import io.fairlane.engine.EngineSnapshot;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.GenerationStream;
import io.fairlane.engine.InferenceEngine;
import io.fairlane.engine.ModelInfo;
import io.fairlane.engine.Preemption;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.TokenSink;
import io.fairlane.engine.kv.KvCacheManager;
import io.fairlane.scheduler.PrefixMatcher;
import io.fairlane.scheduler.RateLimitStatus;
import io.fairlane.scheduler.SchedulerSnapshot;
import io.fairlane.scheduler.TenantScheduler;
import io.fairlane.scheduler.TenantSpec;
import io.fairlane.scheduler.Ticker;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local inference engine: one model, one backend, one loop thread running abort → schedule → forward →
 * sample → emit; on a backend that feeds sampled tokens on the device, with step N + 1 queued before step N's tokens
 * are taken in, so the host's share of a step runs while the device computes ({@link ForwardStep}). This class wires
 * the parts and runs the loop; each part has one job:
 *
 * <ul>
 *   <li>{@link RequestIntake}: validation, prompt hashing, registration and the offer to the waiting queue;</li>
 *   <li>{@link AbortRequests}: aborts from any thread, acted on by the loop before it plans;</li>
 *   <li>{@link BatchScheduler}: what the next step runs (decodes, prefill chunks, admissions, preemptions);</li>
 *   <li>{@link ForwardStep}: the step through the backend and its outputs taken in;</li>
 *   <li>{@link TokenAcceptor}: each sampled token detokenised, stop-checked and emitted;</li>
 *   <li>{@link Forker}: the choices of an {@code n > 1} request forked off the shared prompt;</li>
 *   <li>{@link EmbeddingRunner}: embeddings requests;</li>
 *   <li>{@link JobSettlement}: how requests end and what the tenant scheduler is charged;</li>
 *   <li>{@link SnapshotPublisher}: the gauges.</li>
 * </ul>
 *
 * <p>Threading: any thread may call {@link #submit}, {@link #prepare}, {@link #abort}, {@link #embed},
 * {@link #snapshot} and {@link #close}; submission works on the caller's thread against thread-safe parts (the
 * tenant scheduler, the request registry, the KV manager's prefix lookup). Everything else — the KV cache
 * manager's allocations, the batch scheduler, the choices, the counters — is owned by the loop thread
 * ({@code fairlane-engine-<model>}), so the hot path takes no locks. Token events go to each request's
 * {@link TokenSink} from the loop thread.
 *
 * <p>Event order per request: {@code Scheduled}, then {@code Token}s and one {@code ChoiceFinished} per choice,
 * then {@code Finished}; or {@code Failed} at any point, after which nothing follows. An abort emits
 * {@code Failed(ABORTED)} so that whoever holds the sink can release it.
 */
public final class LocalEngine implements InferenceEngine {

    private static final Logger LOG = LoggerFactory.getLogger(LocalEngine.class);
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long BLOCKED_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /**
     * The engine's bounds.
     *
     * @param maxBatchTokens      per-step token budget
     * @param maxRunningSequences most sequences in the running batch (and most choices per request)
     * @param tenants             tenants at start (their weights steer preemption)
     * @param preemption          whether over-share tenants are preempted for an under-share arrival
     * @param overlap             whether to keep one step in flight while the host takes the previous one in, where
     *                            the executor {@linkplain StepExecutor#feedsSampledTokens feeds sampled tokens}
     */
    record Limits(int maxBatchTokens, int maxRunningSequences, List<TenantSpec> tenants, Preemption preemption,
                  boolean overlap) {
        Limits(int maxBatchTokens, int maxRunningSequences, List<TenantSpec> tenants) {
            this(maxBatchTokens, maxRunningSequences, tenants, Preemption.none(), false);
        }

        Limits(int maxBatchTokens, int maxRunningSequences, List<TenantSpec> tenants, Preemption preemption) {
            this(maxBatchTokens, maxRunningSequences, tenants, preemption, false);
        }

        Limits {
            tenants = List.copyOf(tenants);
            Objects.requireNonNull(preemption, "preemption");
            if (maxBatchTokens <= 0 || maxRunningSequences <= 0) {
                throw new IllegalArgumentException("limits must be > 0");
            }
        }
    }

    private final ModelInfo model;
    private final StepExecutor executor;
    private final PromptPreparer preparer;
    private final KvCacheManager kv;
    private final TenantScheduler<Work> waiting;
    private final BatchScheduler batch;
    private final RequestIntake intake;
    private final ActiveRequests active = new ActiveRequests();
    private final AbortRequests aborts = new AbortRequests(this::wakeLoop);
    private final JobSettlement settlement;
    private final ForwardStep forward;
    private final EmbeddingRunner embeddings;
    private final SnapshotPublisher snapshots;
    private final boolean overlap;
    private final EngineCounters counters;
    private final Thread loop;
    private volatile boolean closed;

    /**
     * Starts an engine. {@code schedulerFactory} builds the waiting queue given the prefix matcher over this
     * engine's KV pool (DLPM orders by it).
     */
    LocalEngine(ModelInfo model, StepExecutor executor, TextCodec text, PromptPreparer preparer, KvCacheManager kv,
                Function<PrefixMatcher<Work>, TenantScheduler<Work>> schedulerFactory, Ticker ticker, Limits limits) {
        this.model = Objects.requireNonNull(model, "model");
        this.executor = Objects.requireNonNull(executor, "executor");
        Objects.requireNonNull(text, "text");
        this.preparer = Objects.requireNonNull(preparer, "preparer");
        this.kv = Objects.requireNonNull(kv, "kv");
        Objects.requireNonNull(ticker, "ticker");
        Objects.requireNonNull(limits, "limits");
        PrefixMatcher<Work> matcher = work -> work instanceof GenerationJob g ? kv.cachedPrefixTokens(g.root) : 0;
        this.waiting = Objects.requireNonNull(schedulerFactory.apply(matcher), "scheduler");
        QueuedTenants queuedTenants = new QueuedTenants();
        this.batch = new BatchScheduler(kv, waiting, ticker, limits.maxBatchTokens(), limits.maxRunningSequences(),
                limits.tenants(), limits.preemption(), queuedTenants);
        ChoiceFactory choices = new ChoiceFactory(model, text);
        this.counters = new EngineCounters();
        this.intake = new RequestIntake(model, kv, waiting, active, choices, queuedTenants,
                limits.maxRunningSequences(), this::wakeLoop);
        this.settlement = new JobSettlement(waiting, batch, active, aborts, queuedTenants);
        TokenAcceptor acceptor = new TokenAcceptor(text, settlement, counters);
        this.forward = new ForwardStep(model.id(), executor, kv, acceptor,
                new Forker(kv, batch, choices, acceptor), settlement, counters);
        this.embeddings = new EmbeddingRunner(model.id(), executor, settlement, counters);
        this.snapshots = new SnapshotPublisher(kv, batch, waiting, executor, ticker, counters);
        this.overlap = limits.overlap() && executor.feedsSampledTokens();
        this.loop = Thread.ofPlatform().name("fairlane-engine-" + model.id()).daemon(true).unstarted(this::runLoop);
        loop.start();
    }

    @Override
    public ModelInfo model() {
        return model;
    }

    @Override
    public PreparedPrompt prepare(Prompt prompt) {
        Objects.requireNonNull(prompt, "prompt");
        return preparer.prepare(prompt);
    }

    @Override
    public PreparedPrompt prepare(Prompt prompt, int[] tokenIds) {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(tokenIds, "tokenIds");
        return preparer.prepare(prompt, tokenIds);
    }

    @Override
    public String promptFingerprint() {
        return preparer.fingerprint();
    }

    @Override
    public GenerationStream submit(GenerationRequest request, TokenSink sink) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(sink, "sink");
        ensureOpen();
        intake.submit(request, sink);
        return new Stream(request.requestId());
    }

    @Override
    public CompletableFuture<EmbeddingResult> embed(EmbeddingRequest request) {
        Objects.requireNonNull(request, "request");
        CompletableFuture<EmbeddingResult> result = new CompletableFuture<>();
        try {
            ensureOpen();
            intake.embed(request, result);
        } catch (EngineException e) {
            result.completeExceptionally(e);
        }
        return result;
    }

    @Override
    public void abort(String requestId) {
        Objects.requireNonNull(requestId, "requestId");
        Work work = active.get(requestId);
        if (work != null) {
            aborts.request(work);
        }
    }

    @Override
    public EngineSnapshot snapshot() {
        return snapshots.current();
    }

    @Override
    public Optional<SchedulerSnapshot> schedulerSnapshot() {
        return Optional.of(waiting.snapshot());
    }

    @Override
    public void updateTenants(List<TenantSpec> tenants) {
        waiting.updateTenants(tenants);
        batch.updateTenants(tenants);
    }

    /** The tenant's rate limits as the waiting queue accounts them, for {@code x-ratelimit-*} headers. */
    @Override
    public RateLimitStatus rateLimitStatus(String tenant) {
        return waiting.rateLimitStatus(tenant);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        wakeLoop();
        if (Thread.currentThread() != loop) {
            try {
                loop.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new EngineException(Kind.UNAVAILABLE, "the engine for model " + model.id() + " is shut down", null);
        }
    }

    private void wakeLoop() {
        LockSupport.unpark(loop);
    }

    // ---------------------------------------------------------------------------------------------------
    // The loop thread.

    private void runLoop() {
        ForwardStep.Submitted inFlight = null;
        while (!closed) {
            try {
                aborts.drain(settlement::abort);
                if (inFlight != null && needsIdsFirst(inFlight)) {
                    forward.finish(inFlight);
                    inFlight = null;
                }
                StepPlan plan = batch.schedule();
                if (plan.isEmpty()) {
                    if (inFlight != null) {
                        forward.finish(inFlight); // nothing to plan until its tokens are in
                        inFlight = null;
                        snapshots.publish(false);
                        continue;
                    }
                    snapshots.publish(true);
                    LockSupport.parkNanos(batch.idle() ? IDLE_PARK_NANOS : BLOCKED_PARK_NANOS);
                    continue;
                }
                inFlight = runStep(plan, inFlight);
                snapshots.publish(false);
            } catch (RuntimeException | Error e) {
                LOG.error("engine step failed for model {}; failing the requests in flight", model.id(), e);
                ForwardStep.awaitQuietly(inFlight);
                inFlight = null;
                settlement.failAll(new EngineException(Kind.INTERNAL, "the engine failed: " + e.getMessage(), null,
                        null, e));
            }
        }
        ForwardStep.awaitQuietly(inFlight);
        settlement.failAll(new EngineException(Kind.UNAVAILABLE, "the engine for model " + model.id() + " shut down",
                null));
        snapshots.publish(true);
        try {
            executor.close();
        } catch (RuntimeException e) {
            LOG.warn("closing the backend of model {} failed", model.id(), e);
        }
    }

    /**
     * Whether the step in flight sampled for a choice whose next draw needs that token on the host (penalties, an
     * output constraint): then the loop takes that step in before planning the next.
     */
    private static boolean needsIdsFirst(ForwardStep.Submitted inFlight) {
        for (StepPlan.Chunk chunk : inFlight.chunks) {
            Choice c = chunk.choice();
            if (c.seq.pendingTokens() > 0 && !c.job.terminated && !c.finished && !c.samplesWithoutLookingBack()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Runs one planned step. Without overlap: forward, take in, done. With overlap: submit this step, take the one in
     * flight in while the device runs it, then record this one in the KV bookkeeping; it is returned as the new step
     * in flight. Embeddings reuse the device, so a step with embeddings first takes everything in flight in.
     */
    private ForwardStep.Submitted runStep(StepPlan plan, ForwardStep.Submitted inFlight) {
        for (Work w : plan.abandoned()) {
            settlement.abandon(w);
        }
        for (GenerationJob job : plan.started()) {
            long queued = Math.max(0, job.dispatchedNanos - job.ticket().enqueuedNanos());
            if (!job.emit(new TokenEvent.Scheduled(queued, job.root.cachedPromptTokens()))) {
                settlement.brokenSink(job);
            }
        }
        ForwardStep.Submitted next = null;
        if (!plan.chunks().isEmpty() && overlap) {
            next = forward.submitAhead(plan.chunks());
            if (inFlight != null) {
                if (next != null) {
                    counters.stepsAhead++;
                }
                forward.finish(inFlight);
            }
            if (next != null) {
                forward.commit(next);
            }
        } else {
            if (inFlight != null) {
                forward.finish(inFlight);
            }
            if (!plan.chunks().isEmpty()) {
                forward.run(plan.chunks());
            }
        }
        if (!plan.embeddings().isEmpty()) {
            if (next != null) {
                forward.finish(next);
                next = null;
            }
            for (EmbeddingJob job : plan.embeddings()) {
                embeddings.run(job);
            }
        }
        return next;
    }

    /** The handle {@link #submit} returns. */
    private final class Stream implements GenerationStream {
        private final String requestId;

        Stream(String requestId) {
            this.requestId = requestId;
        }

        @Override
        public String requestId() {
            return requestId;
        }

        @Override
        public void cancel() {
            abort(requestId);
        }

        @Override
        public String toString() {
            return "GenerationStream[" + requestId + "]";
        }
    }

    /** Steps queued while the previous one was still in flight: 0 unless the loop overlaps host and device work. */
    long stepsSubmittedAhead() {
        return counters.stepsAhead;
    }

    @Override
    public String toString() {
        return "LocalEngine[model=" + model.id() + ", backend=" + model.backend() + ", " + kv + ", " + batch + "]";
    }
}
