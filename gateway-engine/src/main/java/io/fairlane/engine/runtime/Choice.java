package io.fairlane.engine.runtime;

import io.fairlane.engine.kv.KvSequence;
import io.fairlane.engine.sampling.SamplingState;
import io.fairlane.engine.sampling.StopConditions;
import io.fairlane.engine.sampling.StopMatcher;
import java.util.Objects;

/**
 * One output sequence of a generation (a request with {@code n} choices has {@code n}, forked from the first
 * after the shared prompt's prefill). Mutable; confined to the engine loop thread.
 */
final class Choice {

    final GenerationJob job;
    final int index;
    final KvSequence seq;
    /** Seed, RNG counter and penalty counts: survives preemption, so a resumed choice draws as it would have. */
    final SamplingState sampling;
    final StopConditions stopConditions;
    final TextCodec.IncrementalDecoder decoder;
    final StopMatcher stopStrings;
    /** Sequences admitted before this one sort first when resuming; ties broken by choice index. */
    final long order;
    int outputTokens;
    boolean finished;
    /** Waiting in the batch scheduler's resume queue (preempted, or admitted without room). */
    boolean waitingToResume;
    /** Why it waits to resume when it was preempted; null when it was admitted without room or is running. */
    PreemptionReason preemptedFor;
    /** When it was last preempted (ticker nanos). */
    long preemptedAtNanos;
    /** Tokens whose KV it held when preempted: what a resume recomputes, less what the prefix cache still has. */
    int computedWhenPreempted;
    /** Until when (ticker nanos) it may not be preempted for fairness: set when it resumes from a preemption. */
    long fairnessProtectedUntilNanos = Long.MIN_VALUE;
    /** Its row in the most recently submitted step when that step samples for it, else -1. */
    int submittedRow = -1;

    Choice(GenerationJob job, int index, KvSequence seq, SamplingState sampling, StopConditions stopConditions,
           TextCodec.IncrementalDecoder decoder, StopMatcher stopStrings) {
        this.job = Objects.requireNonNull(job, "job");
        this.index = index;
        this.seq = Objects.requireNonNull(seq, "seq");
        this.sampling = Objects.requireNonNull(sampling, "sampling");
        this.stopConditions = Objects.requireNonNull(stopConditions, "stopConditions");
        this.decoder = Objects.requireNonNull(decoder, "decoder");
        this.stopStrings = Objects.requireNonNull(stopStrings, "stopStrings");
        this.order = job.order;
    }

    /** Whether the next step for this choice computes one sampled token (not a prefill chunk). */
    boolean decoding() {
        return seq.uncomputedTokens() == 1 && seq.computedTokens() >= seq.promptLength();
    }

    /**
     * Whether a step may be planned for it now. A choice whose last token is still being sampled by the step in flight
     * may decode it only if its sampling does not look back at that token (no presence or frequency penalty, no output
     * constraint: those need the id on the host first) and that token is not already its last allowed one.
     */
    boolean schedulable() {
        int pending = seq.pendingTokens();
        return pending == 0 || pending == 1 && decoding() && samplesWithoutLookingBack()
                && outputTokens + pending < job.request.sampling().maxTokens();
    }

    /** Whether its next draw needs nothing but the previous token's KV: no penalties, no constraint. */
    boolean samplesWithoutLookingBack() {
        var p = job.request.sampling();
        return p.presencePenalty() == 0 && p.frequencyPenalty() == 0 && sampling.constraint() == null;
    }

    @Override
    public String toString() {
        return "Choice[" + job.request.requestId() + "#" + index + ", " + seq + ", output=" + outputTokens + "]";
    }
}
