package io.fairlane.engine.runtime;

import io.fairlane.engine.EmbeddingRequest;
import io.fairlane.engine.EmbeddingResult;
import io.fairlane.engine.EngineException;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.ModelInfo;
import io.fairlane.engine.TokenSink;
import io.fairlane.engine.kv.KvCacheManager;
import io.fairlane.engine.kv.KvSequence;
import io.fairlane.scheduler.Admission;
import io.fairlane.scheduler.CostEstimate;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.TenantScheduler;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Admission: turns a request into work on the waiting queue. It validates the request against the model and the
 * engine's bounds, hashes the prompt's blocks, registers the request id, estimates the cost and offers the work
 * to the tenant scheduler, whose refusal becomes {@code REJECTED} with its retry estimate. Nothing is left
 * registered when any of that fails.
 *
 * <p>Runs on the submitting thread (never the loop): the tenant scheduler, the KV manager's prefix lookup and
 * {@link ActiveRequests} are thread-safe, and the work is handed to the loop only through the queue.
 */
final class RequestIntake {

    private final ModelInfo model;
    private final KvCacheManager kv;
    private final TenantScheduler<Work> waiting;
    private final ActiveRequests active;
    private final ChoiceFactory choices;
    private final QueuedTenants queuedTenants;
    private final int maxChoices;
    private final Runnable wakeLoop;
    private final AtomicLong admissionOrder = new AtomicLong();

    RequestIntake(ModelInfo model, KvCacheManager kv, TenantScheduler<Work> waiting, ActiveRequests active,
                  ChoiceFactory choices, QueuedTenants queuedTenants, int maxChoices, Runnable wakeLoop) {
        this.model = Objects.requireNonNull(model, "model");
        this.kv = Objects.requireNonNull(kv, "kv");
        this.waiting = Objects.requireNonNull(waiting, "waiting");
        this.active = Objects.requireNonNull(active, "active");
        this.choices = Objects.requireNonNull(choices, "choices");
        this.queuedTenants = Objects.requireNonNull(queuedTenants, "queuedTenants");
        this.maxChoices = maxChoices;
        this.wakeLoop = Objects.requireNonNull(wakeLoop, "wakeLoop");
    }

    /** Queues a generation. @throws EngineException when it is refused */
    GenerationJob submit(GenerationRequest request, TokenSink sink) {
        RequestValidation.check(request, model, maxChoices, (long) kv.totalBlocks() * kv.blockSize());
        KvSequence root = kv.newSequence(request.tenant(), request.cacheSalt(), request.prompt().tokenIds());
        long seed = request.sampling().seed().orElse(ThreadLocalRandom.current().nextLong());
        GenerationJob job = new GenerationJob(request, sink, admissionOrder.incrementAndGet(), root, seed);
        job.choices.add(choices.newChoice(job, 0, root));
        active.register(job);
        int prompt = request.prompt().length();
        CostEstimate estimate = new CostEstimate(prompt, Math.min(prompt, kv.cachedPrefixTokens(root)),
                request.sampling().maxTokens() * request.n());
        offer(job, estimate, request.tier());
        return job;
    }

    /** Queues an embeddings request whose vectors complete {@code result}. @throws EngineException when refused */
    EmbeddingJob embed(EmbeddingRequest request, CompletableFuture<EmbeddingResult> result) {
        RequestValidation.check(request, model);
        EmbeddingJob job = new EmbeddingJob(request, result);
        active.register(job);
        offer(job, new CostEstimate(job.totalTokens, 0, 0), request.tier());
        return job;
    }

    private void offer(Work job, CostEstimate estimate, ServiceTier tier) {
        Admission<Work> admission;
        try {
            admission = waiting.offer(job.tenant(), job, estimate, tier);
        } catch (RuntimeException e) {
            active.remove(job);
            throw e;
        }
        switch (admission) {
            case Admission.Rejected<Work> rejected -> {
                active.remove(job);
                throw EngineException.rejected(rejected);
            }
            case Admission.Queued<Work> queued -> {
                job.ticket(queued.ticket());
                if (job instanceof GenerationJob) {
                    queuedTenants.queued(job.tenant());
                }
            }
        }
        wakeLoop.run();
    }

    @Override
    public String toString() {
        return "RequestIntake[" + model.id() + ", admitted " + admissionOrder.get() + "]";
    }
}
