package io.fairlane.engine.runtime;

import io.fairlane.engine.kv.KvSequence;
import java.util.Objects;

/**
 * One output sequence of a generation (a request with {@code n} choices has {@code n}, forked from the first
 * after the shared prompt's prefill). Mutable; confined to the engine loop thread.
 */
final class Choice {

    final GenerationJob job;
    final int index;
    final KvSequence seq;
    final SamplerFactory.ChoiceSampler sampler;
    final TextCodec.IncrementalDecoder decoder;
    final StopStringFilter stop;
    /** Sequences admitted before this one sort first when resuming; ties broken by choice index. */
    final long order;
    int outputTokens;
    boolean finished;
    /** Waiting in the batch scheduler's resume queue (preempted, or admitted without room). */
    boolean waitingToResume;

    Choice(GenerationJob job, int index, KvSequence seq, SamplerFactory.ChoiceSampler sampler,
           TextCodec.IncrementalDecoder decoder, StopStringFilter stop) {
        this.job = Objects.requireNonNull(job, "job");
        this.index = index;
        this.seq = Objects.requireNonNull(seq, "seq");
        this.sampler = Objects.requireNonNull(sampler, "sampler");
        this.decoder = Objects.requireNonNull(decoder, "decoder");
        this.stop = Objects.requireNonNull(stop, "stop");
        this.order = job.order;
    }

    /** Whether the next step for this choice computes one sampled token (not a prefill chunk). */
    boolean decoding() {
        return seq.uncomputedTokens() == 1 && seq.computedTokens() >= seq.promptLength();
    }

    @Override
    public String toString() {
        return "Choice[" + job.request.requestId() + "#" + index + ", " + seq + ", output=" + outputTokens + "]";
    }
}
