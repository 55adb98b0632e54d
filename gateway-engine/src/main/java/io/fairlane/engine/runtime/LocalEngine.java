package io.fairlane.engine.runtime;

import io.fairlane.engine.EmbeddingRequest;
import io.fairlane.engine.EmbeddingResult;
import io.fairlane.engine.EngineException;
import io.fairlane.engine.EngineException.Kind;
import io.fairlane.engine.EngineSnapshot;
import io.fairlane.engine.FinishReason;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.GenerationStream;
import io.fairlane.engine.InferenceEngine;
import io.fairlane.engine.ModelInfo;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.TokenSink;
import io.fairlane.engine.exec.BatchInput;
import io.fairlane.engine.exec.SequenceInput;
import io.fairlane.engine.exec.SequenceOutput;
import io.fairlane.engine.exec.StepResult;
import io.fairlane.engine.kv.KvCacheManager;
import io.fairlane.engine.kv.KvSequence;
import io.fairlane.engine.kv.TenantKvStats;
import io.fairlane.engine.sampling.ConstraintVocabulary;
import io.fairlane.engine.sampling.SampleResult;
import io.fairlane.engine.sampling.Sampler;
import io.fairlane.engine.sampling.SamplingState;
import io.fairlane.engine.sampling.StopConditions;
import io.fairlane.engine.sampling.StopMatcher;
import io.fairlane.scheduler.ActualCost;
import io.fairlane.scheduler.Admission;
import io.fairlane.scheduler.CostEstimate;
import io.fairlane.scheduler.PrefixMatcher;
import io.fairlane.scheduler.RateLimitStatus;
import io.fairlane.scheduler.TenantScheduler;
import io.fairlane.scheduler.SchedulerSnapshot;
import io.fairlane.scheduler.TenantSpec;
import io.fairlane.scheduler.Ticker;
import io.fairlane.scheduler.Ticket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local inference engine: one model, one backend, one loop thread running schedule → forward → sample →
 * emit.
 *
 * <p>Any thread may call {@link #submit}, {@link #abort}, {@link #embed}, {@link #snapshot} and {@link #close}:
 * submission validates, hashes the prompt's blocks and offers the work to the tenant scheduler (which is
 * thread-safe); an abort is a flag plus a note in a queue the loop drains before each step. Everything else —
 * the KV cache manager, the batch scheduler, the choices — is confined to the loop thread, so the hot path
 * takes no locks. Token events go to each request's {@link TokenSink} from the loop thread.
 *
 * <p>Event order per request: {@code Scheduled}, then {@code Token}s and one {@code ChoiceFinished} per choice,
 * then {@code Finished}; or {@code Failed} at any point, after which nothing follows. An abort emits
 * {@code Failed(ABORTED)} so that whoever holds the sink can release it.
 */
public final class LocalEngine implements InferenceEngine {

    private static final Logger LOG = LoggerFactory.getLogger(LocalEngine.class);
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long BLOCKED_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long TENANT_STATS_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    /**
     * The engine's bounds.
     *
     * @param maxBatchTokens      per-step token budget
     * @param maxRunningSequences most sequences in the running batch (and most choices per request)
     * @param tenants             tenants at start (their weights steer preemption)
     * @param preemptForFairness  preempt over-share tenants for an under-share arrival (off for FCFS)
     */
    record Limits(int maxBatchTokens, int maxRunningSequences, List<TenantSpec> tenants,
                  boolean preemptForFairness) {
        Limits(int maxBatchTokens, int maxRunningSequences, List<TenantSpec> tenants) {
            this(maxBatchTokens, maxRunningSequences, tenants, false);
        }

        Limits {
            tenants = List.copyOf(tenants);
            if (maxBatchTokens <= 0 || maxRunningSequences <= 0) {
                throw new IllegalArgumentException("limits must be > 0");
            }
        }
    }

    private final ModelInfo model;
    private final StepExecutor executor;
    private final TextCodec text;
    private final PromptPreparer preparer;
    private final KvCacheManager kv;
    private final TenantScheduler<Work> waiting;
    private final BatchScheduler batch;
    private final Ticker ticker;
    private final Set<Integer> eosTokens;
    private final int maxChoices;
    /** Built on the first constrained request (token bytes of the whole vocabulary), then shared. */
    private volatile ConstraintVocabulary constraintVocabulary;

    private final ConcurrentHashMap<String, Work> active = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Work> aborts = new ConcurrentLinkedQueue<>();
    private final AtomicLong admissionOrder = new AtomicLong();
    private final Thread loop;
    private volatile boolean closed;
    private volatile EngineSnapshot snapshot;

    // Loop-confined counters.
    private long promptTokensComputed;
    private long outputTokens;
    private int lastBatchSize;
    private long lastTenantStatsNanos;
    private Map<String, TenantKvStats> tenantKv = Map.of();

    /**
     * Starts an engine. {@code schedulerFactory} builds the waiting queue given the prefix matcher over this
     * engine's KV pool (DLPM orders by it).
     */
    LocalEngine(ModelInfo model, StepExecutor executor, TextCodec text, PromptPreparer preparer, KvCacheManager kv,
                Function<PrefixMatcher<Work>, TenantScheduler<Work>> schedulerFactory, Ticker ticker, Limits limits) {
        this.model = Objects.requireNonNull(model, "model");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.text = Objects.requireNonNull(text, "text");
        this.preparer = Objects.requireNonNull(preparer, "preparer");
        this.kv = Objects.requireNonNull(kv, "kv");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        Objects.requireNonNull(limits, "limits");
        PrefixMatcher<Work> matcher = work -> work instanceof GenerationJob g ? kv.cachedPrefixTokens(g.root) : 0;
        this.waiting = Objects.requireNonNull(schedulerFactory.apply(matcher), "scheduler");
        this.batch = new BatchScheduler(kv, waiting, ticker, limits.maxBatchTokens(), limits.maxRunningSequences(),
                limits.tenants(), limits.preemptForFairness());
        this.eosTokens = Set.copyOf(model.eosTokenIds());
        this.maxChoices = limits.maxRunningSequences();
        this.snapshot = new EngineSnapshot(0, 0, kv.totalBlocks(), 0, 0, 0, 0, 0, 0,
                executor.deviceMemoryUsedBytes(), Map.of());
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
    public GenerationStream submit(GenerationRequest request, TokenSink sink) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(sink, "sink");
        ensureOpen();
        RequestValidation.check(request, model, maxChoices, (long) kv.totalBlocks() * kv.blockSize());
        KvSequence root = kv.newSequence(request.tenant(), request.cacheSalt(), request.prompt().tokenIds());
        long seed = request.sampling().seed().orElse(ThreadLocalRandom.current().nextLong());
        GenerationJob job = new GenerationJob(request, sink, admissionOrder.incrementAndGet(), root, seed);
        job.choices.add(newChoice(job, 0, root));
        if (active.putIfAbsent(request.requestId(), job) != null) {
            throw new EngineException(Kind.INVALID_REQUEST, "a request with id " + request.requestId()
                    + " is already running", null);
        }
        int prompt = request.prompt().length();
        CostEstimate estimate = new CostEstimate(prompt, Math.min(prompt, kv.cachedPrefixTokens(root)),
                request.sampling().maxTokens() * request.n());
        offer(job, estimate, request.tier());
        return new Stream(request.requestId());
    }

    @Override
    public CompletableFuture<EmbeddingResult> embed(EmbeddingRequest request) {
        Objects.requireNonNull(request, "request");
        CompletableFuture<EmbeddingResult> result = new CompletableFuture<>();
        try {
            ensureOpen();
            RequestValidation.check(request, model);
            EmbeddingJob job = new EmbeddingJob(request, result);
            if (active.putIfAbsent(request.requestId(), job) != null) {
                throw new EngineException(Kind.INVALID_REQUEST, "a request with id " + request.requestId()
                        + " is already running", null);
            }
            offer(job, new CostEstimate(job.totalTokens, 0, 0), request.tier());
        } catch (EngineException e) {
            result.completeExceptionally(e);
        }
        return result;
    }

    private void offer(Work job, CostEstimate estimate, io.fairlane.scheduler.ServiceTier tier) {
        Admission<Work> admission;
        try {
            admission = waiting.offer(job.tenant(), job, estimate, tier);
        } catch (RuntimeException e) {
            active.remove(job.requestId(), job);
            throw e;
        }
        switch (admission) {
            case Admission.Rejected<Work> rejected -> {
                active.remove(job.requestId(), job);
                throw EngineException.rejected(rejected);
            }
            case Admission.Queued<Work> queued -> job.ticket(queued.ticket());
        }
        LockSupport.unpark(loop);
    }

    @Override
    public void abort(String requestId) {
        Objects.requireNonNull(requestId, "requestId");
        Work work = active.get(requestId);
        if (work == null) {
            return;
        }
        switch (work) {
            case GenerationJob g -> g.abortRequested = true;
            case EmbeddingJob e -> e.abortRequested = true;
        }
        aborts.add(work);
        LockSupport.unpark(loop);
    }

    @Override
    public EngineSnapshot snapshot() {
        return snapshot;
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
        LockSupport.unpark(loop);
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

    private Choice newChoice(GenerationJob job, int index, KvSequence seq) {
        SamplingParams params = job.request.sampling();
        io.fairlane.engine.ThinkingMode thinking = job.request.prompt().thinking();
        ConstraintVocabulary vocabulary = params.constraint() == null && thinking == io.fairlane.engine.ThinkingMode.NONE
                ? null : constraintVocabulary();
        return new Choice(job, index, seq, SamplingState.of(params, job.requestSeed, index, vocabulary, thinking),
                new StopConditions(eosTokens, params, model.contextLength()), text.newDecoder(),
                new StopMatcher(params.stop()));
    }

    private ConstraintVocabulary constraintVocabulary() {
        ConstraintVocabulary v = constraintVocabulary;
        if (v == null) {
            synchronized (this) {
                v = constraintVocabulary;
                if (v == null) {
                    v = ConstraintVocabulary.of(model.vocabSize(), text::tokenBytes, text::isSpecial, eosTokens);
                    constraintVocabulary = v;
                }
            }
        }
        return v;
    }

    // ---------------------------------------------------------------------------------------------------
    // The loop thread.

    private void runLoop() {
        while (!closed) {
            try {
                processAborts();
                StepPlan plan = batch.schedule();
                if (plan.isEmpty()) {
                    publishSnapshot(true);
                    LockSupport.parkNanos(batch.idle() ? IDLE_PARK_NANOS : BLOCKED_PARK_NANOS);
                    continue;
                }
                runStep(plan);
                publishSnapshot(false);
            } catch (RuntimeException | Error e) {
                LOG.error("engine step failed for model {}; failing the requests in flight", model.id(), e);
                failAll(new EngineException(Kind.INTERNAL, "the engine failed: " + e.getMessage(), null, null, e));
            }
        }
        failAll(new EngineException(Kind.UNAVAILABLE, "the engine for model " + model.id() + " shut down", null));
        publishSnapshot(true);
        try {
            executor.close();
        } catch (RuntimeException e) {
            LOG.warn("closing the backend of model {} failed", model.id(), e);
        }
    }

    private void processAborts() {
        for (int pending = aborts.size(); pending > 0; pending--) {
            Work work = aborts.poll();
            if (work == null) {
                return;
            }
            switch (work) {
                case GenerationJob g -> abortGeneration(g);
                case EmbeddingJob e -> abortEmbedding(e);
            }
        }
    }

    private void abortGeneration(GenerationJob job) {
        if (job.terminated) {
            return;
        }
        if (job.dispatched) {
            batch.remove(job);
            waiting.cancel(job.ticket(), usedSoFar(job));
            terminate(job, new TokenEvent.Failed(aborted(job.requestId())));
            return;
        }
        Ticket<Work> ticket = job.ticket();
        if (ticket == null) {
            aborts.add(job); // the submitting thread has not stored the ticket yet; look again next turn
            return;
        }
        if (waiting.cancel(ticket, ActualCost.NONE)) {
            terminate(job, new TokenEvent.Failed(aborted(job.requestId())));
        }
        // Otherwise the queue already handed it out: admission sees the abort flag and drops it.
    }

    private void abortEmbedding(EmbeddingJob job) {
        Ticket<Work> ticket = job.ticket();
        if (job.result.isDone()) {
            return;
        }
        if (ticket == null) {
            aborts.add(job);
            return;
        }
        if (waiting.cancel(ticket, ActualCost.NONE)) {
            active.remove(job.requestId(), job);
            job.result.completeExceptionally(aborted(job.requestId()));
        }
    }

    private static EngineException aborted(String requestId) {
        return new EngineException(Kind.ABORTED, "request " + requestId + " was aborted", null);
    }

    private void runStep(StepPlan plan) {
        for (Work w : plan.abandoned()) {
            switch (w) {
                case GenerationJob g -> terminate(g, new TokenEvent.Failed(aborted(g.requestId())));
                case EmbeddingJob e -> {
                    active.remove(e.requestId(), e);
                    e.result.completeExceptionally(aborted(e.requestId()));
                }
            }
        }
        for (GenerationJob job : plan.started()) {
            long queued = Math.max(0, job.dispatchedNanos - job.ticket().enqueuedNanos());
            if (!job.emit(new TokenEvent.Scheduled(queued, job.root.cachedPromptTokens()))) {
                brokenSink(job);
            }
        }
        if (!plan.chunks().isEmpty()) {
            runForward(plan.chunks());
        }
        for (EmbeddingJob job : plan.embeddings()) {
            runEmbedding(job);
        }
    }

    private void runForward(List<StepPlan.Chunk> chunks) {
        List<SequenceInput> inputs = new ArrayList<>(chunks.size());
        for (StepPlan.Chunk chunk : chunks) {
            Choice choice = chunk.choice();
            KvSequence seq = choice.seq;
            int start = seq.computedTokens();
            int[] tokens = new int[chunk.tokens()];
            seq.copyTokens(start, chunk.tokens(), tokens, 0);
            int[] table = seq.blockTable();
            boolean last = start + chunk.tokens() == seq.length();
            if (!last) {
                inputs.add(SequenceInput.prefill(tokens, start, table));
            } else if (!choice.job.forked && choice.job.n() > 1) {
                // The shared prompt's last chunk: every choice samples from these logits after the fork.
                inputs.add(SequenceInput.logits(tokens, start, table));
            } else {
                inputs.add(SequenceInput.sample(tokens, start, table, choice.sampling));
            }
        }
        StepResult result;
        try {
            result = executor.step(kv.drainPendingCopies(), new BatchInput(inputs));
        } catch (RuntimeException e) {
            LOG.error("forward step of model {} failed; failing its {} sequences", model.id(), chunks.size(), e);
            EngineException error = new EngineException(Kind.INTERNAL, "the model's forward step failed", null, null, e);
            Set<GenerationJob> jobs = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
            chunks.forEach(c -> jobs.add(c.choice().job));
            jobs.forEach(job -> fail(job, error));
            return;
        }
        lastBatchSize = chunks.size();
        Set<GenerationJob> progressed = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < chunks.size(); i++) {
            Choice choice = chunks.get(i).choice();
            int tokens = chunks.get(i).tokens();
            GenerationJob job = choice.job;
            KvSequence seq = choice.seq;
            int promptPart = Math.max(0, Math.min(seq.promptLength(), seq.computedTokens() + tokens)
                    - seq.computedTokens());
            kv.commitComputed(seq, tokens);
            promptTokensComputed += promptPart;
            job.promptTokensReached = Math.max(job.promptTokensReached, Math.min(job.promptTokens(),
                    seq.computedTokens()));
            if (job.terminated || choice.finished) {
                continue;
            }
            switch (result.get(i)) {
                case SequenceOutput.Sampled sampled -> {
                    job.forked = true;
                    accept(choice, sampled.result());
                    progressed.add(job);
                }
                case SequenceOutput.Logits logits -> {
                    fork(choice, logits.values());
                    progressed.add(job);
                }
                case SequenceOutput.Nothing nothing -> {
                    // a prefill chunk that is not the prompt's last
                }
                case SequenceOutput.HiddenMean hidden ->
                        throw new IllegalStateException("a generation step returned a hidden state");
            }
        }
        for (GenerationJob job : progressed) {
            if (job.stepTokens > 0 && !job.terminated) {
                waiting.progress(job.ticket(), job.stepTokens);
            }
            job.stepTokens = 0;
        }
    }

    /**
     * After the shared prompt of an {@code n > 1} request: forks the other choices (sharing every block), then
     * samples each choice from its own copy of the logits with its own seed stream, on the host with the same
     * {@link Sampler} the backends use.
     */
    private void fork(Choice root, float[] logits) {
        GenerationJob job = root.job;
        job.forked = true;
        List<Choice> all = new ArrayList<>(job.n());
        all.add(root);
        for (int i = 1; i < job.n(); i++) {
            Choice child = newChoice(job, i, kv.fork(root.seq));
            job.choices.add(child);
            batch.addForked(child);
            all.add(child);
        }
        for (Choice c : all) {
            if (!job.terminated) {
                accept(c, Sampler.sample(logits.clone(), c.sampling));
            }
        }
    }

    private void accept(Choice c, SampleResult sampled) {
        GenerationJob job = c.job;
        int id = sampled.tokenId();
        c.seq.appendToken(id);
        c.sampling.accept(id);
        c.outputTokens++;
        job.completionTokens++;
        job.stepTokens++;
        outputTokens++;
        FinishReason reason = null;
        StringBuilder released = new StringBuilder();
        if (!c.stopConditions.isEos(id)) {
            released.append(c.stopStrings.accept(c.decoder.next(id)));
            if (c.stopStrings.stopped()) {
                reason = FinishReason.STOP;
            }
        }
        if (reason == null) {
            java.util.Optional<FinishReason> end = c.stopConditions.check(id, c.outputTokens, c.seq.length());
            if (end.isPresent()) {
                released.append(c.stopStrings.accept(c.decoder.flush()));
                if (c.stopStrings.stopped()) {
                    reason = FinishReason.STOP;
                } else {
                    released.append(c.stopStrings.flush());
                    reason = end.get();
                }
            }
        }
        boolean reasoning = c.sampling.lastTokenReasoning();
        if (reasoning) {
            job.reasoningTokens++;
        }
        if (!job.emit(new TokenEvent.Token(c.index, id, released.toString(), logprob(sampled), reasoning))) {
            brokenSink(job);
            return;
        }
        if (reason != null) {
            finishChoice(c, reason);
        }
    }

    private TokenEvent.TokenLogprob logprob(SampleResult r) {
        if (!r.hasLogprob()) {
            return null;
        }
        List<TokenEvent.Alternative> top = new ArrayList<>(r.topIds().length);
        for (int j = 0; j < r.topIds().length; j++) {
            int id = r.topIds()[j];
            top.add(new TokenEvent.Alternative(text.tokenText(id), text.tokenBytes(id), r.topLogprobs()[j]));
        }
        return new TokenEvent.TokenLogprob(text.tokenText(r.tokenId()), text.tokenBytes(r.tokenId()), r.logprob(),
                top);
    }

    private void finishChoice(Choice c, FinishReason reason) {
        GenerationJob job = c.job;
        c.finished = true;
        batch.finish(c);
        if (!job.emit(new TokenEvent.ChoiceFinished(c.index, reason, c.outputTokens))) {
            brokenSink(job);
            return;
        }
        job.finishedChoices++;
        if (job.finishedChoices == job.n()) {
            int cached = job.root.cachedPromptTokens();
            io.fairlane.engine.Usage usage = new io.fairlane.engine.Usage(job.promptTokens(), cached,
                    job.completionTokens, job.reasoningTokens);
            if (job.stepTokens > 0) {
                waiting.progress(job.ticket(), job.stepTokens);
                job.stepTokens = 0;
            }
            waiting.complete(job.ticket(), new ActualCost(job.promptTokens(), cached, job.completionTokens));
            terminate(job, new TokenEvent.Finished(usage));
        }
    }

    private void runEmbedding(EmbeddingJob job) {
        try {
            List<float[]> vectors = new ArrayList<>(job.request.inputs().size());
            for (PreparedPrompt input : job.request.inputs()) {
                float[] pooled = executor.embed(input.tokenIds());
                int dims = job.request.dimensions() > 0 ? job.request.dimensions() : pooled.length;
                vectors.add(normalise(java.util.Arrays.copyOf(pooled, dims)));
            }
            promptTokensComputed += job.totalTokens;
            waiting.complete(job.ticket(), new ActualCost(job.totalTokens, 0, 0));
            active.remove(job.requestId(), job);
            job.result.complete(new EmbeddingResult(vectors, job.totalTokens));
        } catch (RuntimeException e) {
            LOG.error("embedding of {} failed on model {}", job, model.id(), e);
            waiting.cancel(job.ticket(), ActualCost.NONE);
            active.remove(job.requestId(), job);
            job.result.completeExceptionally(
                    new EngineException(Kind.INTERNAL, "computing embeddings failed", null, null, e));
        }
    }

    /** L2-normalises in place (a zero vector stays zero). */
    static float[] normalise(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        if (sum > 0) {
            float scale = (float) (1 / Math.sqrt(sum));
            for (int i = 0; i < v.length; i++) {
                v[i] *= scale;
            }
        }
        return v;
    }

    /** A sink that threw broke its contract; the client is treated as gone. */
    private void brokenSink(GenerationJob job) {
        LOG.warn("token sink of request {} threw; aborting it", job.requestId());
        job.abortRequested = true;
        aborts.add(job);
    }

    private ActualCost usedSoFar(GenerationJob job) {
        int prompt = job.promptTokensReached;
        return new ActualCost(prompt, Math.min(prompt, job.root.cachedPromptTokens()), job.completionTokens);
    }

    private void fail(GenerationJob job, EngineException error) {
        if (job.terminated) {
            return;
        }
        batch.remove(job);
        Ticket<Work> ticket = job.ticket();
        if (ticket != null) {
            waiting.cancel(ticket, job.dispatched ? usedSoFar(job) : ActualCost.NONE);
        }
        terminate(job, new TokenEvent.Failed(error));
    }

    private void terminate(GenerationJob job, TokenEvent last) {
        job.terminated = true;
        active.remove(job.requestId(), job);
        job.emit(last);
    }

    /** Fails every request the engine knows of, queued or running, and frees their blocks. */
    private void failAll(EngineException error) {
        for (Work work : List.copyOf(active.values())) {
            switch (work) {
                case GenerationJob g -> fail(g, error);
                case EmbeddingJob e -> {
                    if (e.ticket() != null) {
                        waiting.cancel(e.ticket(), ActualCost.NONE);
                    }
                    active.remove(e.requestId(), e);
                    e.result.completeExceptionally(error);
                }
            }
        }
        for (GenerationJob g : batch.activeJobs()) {
            fail(g, error);
        }
    }

    private void publishSnapshot(boolean force) {
        long now = ticker.nanos();
        if (force || now - lastTenantStatsNanos >= TENANT_STATS_INTERVAL_NANOS) {
            tenantKv = kv.tenantStats();
            lastTenantStatsNanos = now;
        }
        Map<String, Long> preempted = batch.preemptionsByTenant();
        Set<String> tenants = new HashSet<>(tenantKv.keySet());
        tenants.addAll(preempted.keySet());
        Map<String, EngineSnapshot.TenantCacheStats> perTenant = new HashMap<>();
        for (String t : tenants) {
            TenantKvStats s = tenantKv.getOrDefault(t, new TenantKvStats(0, 0, 0));
            perTenant.put(t, new EngineSnapshot.TenantCacheStats(s.prefixQueryTokens(), s.prefixHitTokens(),
                    s.blocksHeld(), preempted.getOrDefault(t, 0L)));
        }
        snapshot = new EngineSnapshot(batch.running().size(), waiting.queued() + batch.resumeQueueSize(),
                kv.totalBlocks(), kv.usedBlocks(), kv.cachedFreeBlocks(), batch.preemptions(), promptTokensComputed,
                outputTokens, lastBatchSize, executor.deviceMemoryUsedBytes(), perTenant);
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

    @Override
    public String toString() {
        return "LocalEngine[model=" + model.id() + ", backend=" + model.backend() + ", " + kv + ", " + batch + "]";
    }
}
