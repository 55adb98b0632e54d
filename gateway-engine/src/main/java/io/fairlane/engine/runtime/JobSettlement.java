package io.fairlane.engine.runtime;

import io.fairlane.engine.EmbeddingResult;
import io.fairlane.engine.EngineException;
import io.fairlane.engine.EngineException.Kind;
import io.fairlane.engine.FinishReason;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.Usage;
import io.fairlane.scheduler.ActualCost;
import io.fairlane.scheduler.TenantScheduler;
import io.fairlane.scheduler.Ticket;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How requests end, and what the tenant scheduler is told: the terminal event ({@code Finished} with its
 * usage, or {@code Failed}), the ticket completed with the actual cost, cancelled with what was used so far, or
 * cancelled at no cost while still queued, the request's blocks freed and its id forgotten. Also the progress
 * reports in between (output tokens per step), so the scheduler's view of a running request stays current.
 *
 * <p>Confined to the engine loop thread. A request ends exactly once: everything here checks
 * {@link GenerationJob#terminated} (or the embedding's future) first.
 */
final class JobSettlement {

    private static final Logger LOG = LoggerFactory.getLogger(JobSettlement.class);

    private final TenantScheduler<Work> waiting;
    private final BatchScheduler batch;
    private final ActiveRequests active;
    private final AbortRequests aborts;
    private final QueuedTenants queuedTenants;

    JobSettlement(TenantScheduler<Work> waiting, BatchScheduler batch, ActiveRequests active, AbortRequests aborts,
                  QueuedTenants queuedTenants) {
        this.waiting = Objects.requireNonNull(waiting, "waiting");
        this.batch = Objects.requireNonNull(batch, "batch");
        this.active = Objects.requireNonNull(active, "active");
        this.aborts = Objects.requireNonNull(aborts, "aborts");
        this.queuedTenants = Objects.requireNonNull(queuedTenants, "queuedTenants");
    }

    static EngineException aborted(String requestId) {
        return new EngineException(Kind.ABORTED, "request " + requestId + " was aborted", null);
    }

    /**
     * Acts on an abort: a running generation stops at once and is charged what it used; a queued request is
     * withdrawn at no cost. A request whose ticket the submitting thread has not stored yet is looked at again
     * next turn; one the queue already handed out is dropped by admission, which sees its abort flag.
     */
    void abort(Work work) {
        switch (work) {
            case GenerationJob g -> abortGeneration(g);
            case EmbeddingJob e -> abortEmbedding(e);
        }
    }

    private void abortGeneration(GenerationJob job) {
        if (job.terminated) {
            return;
        }
        if (job.dispatched) {
            batch.remove(job);
            waiting.cancel(job.ticket(), usedSoFar(job));
            terminate(job, new TokenEvent.Failed(aborted(job.requestId()), usageSoFar(job)));
            return;
        }
        Ticket<Work> ticket = job.ticket();
        if (ticket == null) {
            aborts.retry(job);
            return;
        }
        if (waiting.cancel(ticket, ActualCost.NONE)) {
            queuedTenants.left(job.tenant());
            terminate(job, new TokenEvent.Failed(aborted(job.requestId())));
        }
    }

    private void abortEmbedding(EmbeddingJob job) {
        Ticket<Work> ticket = job.ticket();
        if (job.result.isDone()) {
            return;
        }
        if (ticket == null) {
            aborts.retry(job);
            return;
        }
        if (waiting.cancel(ticket, ActualCost.NONE)) {
            active.remove(job);
            job.result.completeExceptionally(aborted(job.requestId()));
        }
    }

    /** Ends work the queue handed out after its client had gone. */
    void abandon(Work work) {
        switch (work) {
            case GenerationJob g -> terminate(g, new TokenEvent.Failed(aborted(g.requestId())));
            case EmbeddingJob e -> {
                active.remove(e);
                e.result.completeExceptionally(aborted(e.requestId()));
            }
        }
    }

    /** Reports the output tokens {@code job} produced this step as progress, and starts the next step's count. */
    void reportProgress(GenerationJob job) {
        if (job.stepTokens > 0 && !job.terminated) {
            waiting.progress(job.ticket(), job.stepTokens);
        }
        job.stepTokens = 0;
    }

    /**
     * Ends one choice with {@code reason} ({@code ChoiceFinished}); when it was the request's last, completes the
     * ticket with the actual cost and ends the request with {@code Finished} and its usage.
     */
    void finishChoice(Choice c, FinishReason reason) {
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
            Usage usage = new Usage(job.promptTokens(), cached, job.completionTokens, job.reasoningTokens);
            reportProgress(job);
            waiting.complete(job.ticket(), new ActualCost(job.promptTokens(), cached, job.completionTokens));
            terminate(job, new TokenEvent.Finished(usage));
        }
    }

    /** Completes an embeddings request and its ticket. */
    void completeEmbedding(EmbeddingJob job, EmbeddingResult result) {
        waiting.complete(job.ticket(), new ActualCost(job.totalTokens, 0, 0));
        active.remove(job);
        job.result.complete(result);
    }

    /** Fails an embeddings request whose computation threw, at no cost to its tenant. */
    void failEmbedding(EmbeddingJob job, RuntimeException cause) {
        waiting.cancel(job.ticket(), ActualCost.NONE);
        active.remove(job);
        job.result.completeExceptionally(
                new EngineException(Kind.INTERNAL, "computing embeddings failed", null, null, cause));
    }

    /** A sink that threw broke its contract; the client is treated as gone. */
    void brokenSink(GenerationJob job) {
        LOG.warn("token sink of request {} threw; aborting it", job.requestId());
        aborts.requestFromLoop(job);
    }

    /** Ends a generation with {@code Failed(error)}, freeing its blocks and charging what it used. */
    void fail(GenerationJob job, EngineException error) {
        if (job.terminated) {
            return;
        }
        batch.remove(job);
        Ticket<Work> ticket = job.ticket();
        if (ticket != null && waiting.cancel(ticket, job.dispatched ? usedSoFar(job) : ActualCost.NONE)
                && !job.dispatched) {
            queuedTenants.left(job.tenant());
        }
        terminate(job, new TokenEvent.Failed(error, job.dispatched ? usageSoFar(job) : Usage.NONE));
    }

    /** Fails every request the engine knows of, queued or running, and frees their blocks. */
    void failAll(EngineException error) {
        for (Work work : active.all()) {
            switch (work) {
                case GenerationJob g -> fail(g, error);
                case EmbeddingJob e -> {
                    if (e.ticket() != null) {
                        waiting.cancel(e.ticket(), ActualCost.NONE);
                    }
                    active.remove(e);
                    e.result.completeExceptionally(error);
                }
            }
        }
        for (GenerationJob g : batch.activeJobs()) {
            fail(g, error);
        }
    }

    /** What a job that ends early is charged: exactly the usage its {@code Failed} event reports. */
    private static ActualCost usedSoFar(GenerationJob job) {
        Usage u = usageSoFar(job);
        return new ActualCost(u.promptTokens(), u.cachedTokens(), u.completionTokens());
    }

    /** What a job that ends early used: the prompt tokens it reached and the tokens it generated. */
    private static Usage usageSoFar(GenerationJob job) {
        int prompt = job.promptTokensReached;
        return new Usage(prompt, Math.min(prompt, job.root.cachedPromptTokens()), job.completionTokens,
                Math.min(job.reasoningTokens, job.completionTokens));
    }

    private void terminate(GenerationJob job, TokenEvent last) {
        job.terminated = true;
        active.remove(job);
        job.emit(last);
    }

    @Override
    public String toString() {
        return "JobSettlement[" + active + "]";
    }
}
