package io.fairlane.engine.runtime;

import io.fairlane.scheduler.Ticket;

/** What the engine's waiting queue holds: generations and embedding batches. */
sealed interface Work permits GenerationJob, EmbeddingJob {

    String requestId();

    String tenant();

    /** The scheduler's ticket once the offer returned; null before (the loop may see the work first). */
    Ticket<Work> ticket();

    void ticket(Ticket<Work> ticket);

    /** Set by {@link #requestAbort} from any thread; the loop acts on it. */
    boolean abortRequested();

    /** Marks the work as aborted: the client is gone or its sink broke. */
    void requestAbort();
}
