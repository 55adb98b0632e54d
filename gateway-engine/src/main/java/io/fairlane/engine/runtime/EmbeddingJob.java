package io.fairlane.engine.runtime;

import io.fairlane.engine.EmbeddingRequest;
import io.fairlane.engine.EmbeddingResult;
import io.fairlane.scheduler.Ticket;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/** An embeddings request waiting for, or running on, the engine loop. */
final class EmbeddingJob implements Work {

    final EmbeddingRequest request;
    final CompletableFuture<EmbeddingResult> result;
    final int totalTokens;
    private volatile Ticket<Work> ticket;
    private volatile boolean abortRequested;

    EmbeddingJob(EmbeddingRequest request, CompletableFuture<EmbeddingResult> result) {
        this.request = Objects.requireNonNull(request, "request");
        this.result = Objects.requireNonNull(result, "result");
        this.totalTokens = request.inputs().stream().mapToInt(p -> p.length()).sum();
    }

    @Override
    public String requestId() {
        return request.requestId();
    }

    @Override
    public String tenant() {
        return request.tenant();
    }

    @Override
    public Ticket<Work> ticket() {
        return ticket;
    }

    @Override
    public void ticket(Ticket<Work> ticket) {
        this.ticket = ticket;
    }

    @Override
    public boolean abortRequested() {
        return abortRequested;
    }

    @Override
    public void requestAbort() {
        abortRequested = true;
    }

    @Override
    public String toString() {
        return "EmbeddingJob[" + request.requestId() + ", inputs=" + request.inputs().size() + ", tokens=" + totalTokens
                + "]";
    }
}
