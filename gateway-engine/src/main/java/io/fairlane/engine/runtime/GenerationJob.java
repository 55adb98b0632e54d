package io.fairlane.engine.runtime;

import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.TokenSink;
import io.fairlane.engine.kv.KvSequence;
import io.fairlane.scheduler.Ticket;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One generation from submission to its terminal event.
 *
 * <p>Fields set at submission are final or volatile (read by the loop); everything else is confined to the
 * engine loop thread.
 */
final class GenerationJob implements Work {

    final GenerationRequest request;
    final TokenSink sink;
    /** Admission order (engine-wide counter): older jobs resume first and are preempted last. */
    final long order;
    /** The prompt's sequence; becomes choice 0. Hashed at submission, off the loop thread. */
    final KvSequence root;
    /** The request's seed (given, or drawn at submission); choice i samples from its own stream of it. */
    final long requestSeed;
    private volatile Ticket<Work> ticket;
    private volatile boolean abortRequested;

    final List<Choice> choices = new ArrayList<>(1);
    boolean dispatched;
    long dispatchedNanos;
    boolean scheduledEmitted;
    /** The shared prompt was prefilled and the choices forked (always true once sampling began). */
    boolean forked;
    int finishedChoices;
    int completionTokens;
    /** Output tokens of all choices that were reasoning (think block). */
    int reasoningTokens;
    /** Output tokens produced in the current step, reported to the tenant scheduler as progress. */
    int stepTokens;
    /** Most prompt tokens ever computed or found cached, for the cost of an aborted job. */
    int promptTokensReached;
    boolean terminated;

    GenerationJob(GenerationRequest request, TokenSink sink, long order, KvSequence root, long requestSeed) {
        this.request = Objects.requireNonNull(request, "request");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.order = order;
        this.root = Objects.requireNonNull(root, "root");
        this.requestSeed = requestSeed;
    }

    int n() {
        return request.n();
    }

    int promptTokens() {
        return request.prompt().length();
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

    /** Hands an event to the client's sink; false if the sink broke its contract by throwing. */
    boolean emit(TokenEvent event) {
        try {
            sink.accept(event);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "GenerationJob[" + request.requestId() + ", tenant=" + request.tenant() + ", prompt="
                + request.prompt().length() + " tokens, n=" + request.n() + ", choices=" + choices.size() + "]";
    }
}
