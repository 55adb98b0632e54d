package io.fairlane.engine.runtime;

import io.fairlane.engine.EngineException;
import io.fairlane.engine.EngineException.Kind;
import io.fairlane.engine.exec.BatchInput;
import io.fairlane.engine.exec.PendingStep;
import io.fairlane.engine.exec.SequenceInput;
import io.fairlane.engine.exec.SequenceOutput;
import io.fairlane.engine.exec.StepResult;
import io.fairlane.engine.kv.KvCacheManager;
import io.fairlane.engine.kv.KvSequence;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the planned chunks through the backend and takes in what comes back. Each chunk becomes a
 * {@link SequenceInput}: a prefill chunk that is not its prompt's last produces nothing; the last chunk of a
 * shared {@code n > 1} prompt asks for its logits (the choices fork there); any other last chunk, and every
 * decode, asks the backend to sample with the choice's state. Pending block copies run first. Afterwards each
 * chunk's tokens are committed to its KV sequence (full blocks become prefix-cache entries), sampled tokens go
 * to the {@link TokenAcceptor}, a logits row to the {@link Forker}, and each request's output tokens of the step
 * are reported to the tenant scheduler.
 *
 * <h2>One step at a time, or one ahead</h2>
 * {@link #run} submits, waits and takes the outputs in: the CPU backend's way (its step is host work) and the
 * default. With a backend that feeds sampled tokens on the device, the loop instead keeps one step in flight:
 * {@link #submitAhead} queues step N + 1 while step N still runs — a decode whose last token step N is still
 * sampling names it as "what row r of the previous step sampled", and every choice that samples in N + 1 gets a
 * placeholder position in its sequence; then {@link #finish} takes step N's outputs in (placeholders filled,
 * tokens detokenised and emitted) while the device runs N + 1; then {@link #commit} records N + 1's chunks in the
 * KV bookkeeping before it ran, which is safe because whatever reads those blocks is a later step. An output for a
 * choice that ended meanwhile (a stop, EOS, an abort) is dropped, uncharged.
 *
 * <p>A step that throws fails only the requests in it ({@code INTERNAL}), freeing their blocks; the loop goes
 * on. Confined to the engine loop thread.
 */
final class ForwardStep {

    private static final Logger LOG = LoggerFactory.getLogger(ForwardStep.class);

    /** A step submitted ahead and not yet taken in. */
    static final class Submitted {
        final List<StepPlan.Chunk> chunks;
        final PendingStep pending;

        Submitted(List<StepPlan.Chunk> chunks, PendingStep pending) {
            this.chunks = chunks;
            this.pending = pending;
        }

        @Override
        public String toString() {
            return "Submitted[" + chunks.size() + " sequences]";
        }
    }

    private final String modelId;
    private final StepExecutor executor;
    private final KvCacheManager kv;
    private final TokenAcceptor acceptor;
    private final Forker forker;
    private final JobSettlement settlement;
    private final EngineCounters counters;

    ForwardStep(String modelId, StepExecutor executor, KvCacheManager kv, TokenAcceptor acceptor, Forker forker,
                JobSettlement settlement, EngineCounters counters) {
        this.modelId = Objects.requireNonNull(modelId, "modelId");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.kv = Objects.requireNonNull(kv, "kv");
        this.acceptor = Objects.requireNonNull(acceptor, "acceptor");
        this.forker = Objects.requireNonNull(forker, "forker");
        this.settlement = Objects.requireNonNull(settlement, "settlement");
        this.counters = Objects.requireNonNull(counters, "counters");
    }

    /** Runs one step and takes its outputs in before returning. */
    void run(List<StepPlan.Chunk> chunks) {
        List<SequenceInput> inputs = inputs(chunks);
        StepResult result;
        try {
            result = executor.step(kv.drainPendingCopies(), new BatchInput(inputs));
        } catch (RuntimeException e) {
            failStep(chunks, e);
            return;
        }
        counters.lastBatchSize = chunks.size();
        Set<GenerationJob> progressed = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < chunks.size(); i++) {
            Choice choice = chunks.get(i).choice();
            if (commit(choice, chunks.get(i).tokens()) && takeOutput(choice, result.get(i))) {
                progressed.add(choice.job);
            }
        }
        progressed.forEach(settlement::reportProgress);
    }

    /**
     * Queues {@code chunks} as the next step while the previous one may still run; every choice that samples in it
     * gets a placeholder for that token. Null when the backend refused the step: its requests have failed.
     */
    Submitted submitAhead(List<StepPlan.Chunk> chunks) {
        List<SequenceInput> inputs = inputs(chunks);
        PendingStep pending;
        try {
            pending = executor.submit(kv.drainPendingCopies(), new BatchInput(inputs));
        } catch (RuntimeException e) {
            failStep(chunks, e);
            return null;
        }
        for (int i = 0; i < chunks.size(); i++) {
            Choice c = chunks.get(i).choice();
            boolean samples = inputs.get(i).output() == SequenceInput.Output.SAMPLE;
            c.submittedRow = samples ? i : -1;
            if (samples) {
                c.seq.appendPending();
            }
        }
        return new Submitted(chunks, pending);
    }

    /** Records a submitted step's chunks in the KV bookkeeping (before it ran), skipping choices that ended. */
    void commit(Submitted step) {
        for (StepPlan.Chunk chunk : step.chunks) {
            Choice c = chunk.choice();
            if (!c.job.terminated && !c.finished && !c.waitingToResume) {
                commit(c, chunk.tokens());
            }
        }
    }

    /** Waits for a submitted step and takes its outputs in; those of choices that ended meanwhile are dropped. */
    void finish(Submitted step) {
        StepResult result;
        try {
            result = step.pending.await();
        } catch (RuntimeException e) {
            failStep(step.chunks, e);
            return;
        }
        counters.lastBatchSize = step.chunks.size();
        Set<GenerationJob> progressed = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < step.chunks.size(); i++) {
            Choice c = step.chunks.get(i).choice();
            if (!c.job.terminated && !c.finished && takeOutput(c, result.get(i))) {
                progressed.add(c.job);
            }
        }
        progressed.forEach(settlement::reportProgress);
    }

    /** Waits for a submitted step whose outputs nobody will read (shutdown, a failed loop turn). */
    static void awaitQuietly(Submitted step) {
        if (step != null) {
            try {
                step.pending.await();
            } catch (RuntimeException e) {
                LOG.debug("a step in flight failed while the engine was failing its requests", e);
            }
        }
    }

    private void failStep(List<StepPlan.Chunk> chunks, RuntimeException e) {
        LOG.error("forward step of model {} failed; failing its {} sequences", modelId, chunks.size(), e);
        EngineException error = new EngineException(Kind.INTERNAL, "the model's forward step failed", null, null, e);
        Set<GenerationJob> jobs = Collections.newSetFromMap(new IdentityHashMap<>());
        chunks.forEach(c -> jobs.add(c.choice().job));
        jobs.forEach(job -> settlement.fail(job, error));
    }

    private static List<SequenceInput> inputs(List<StepPlan.Chunk> chunks) {
        List<SequenceInput> inputs = new ArrayList<>(chunks.size());
        for (StepPlan.Chunk chunk : chunks) {
            Choice choice = chunk.choice();
            KvSequence seq = choice.seq;
            int start = seq.computedTokens();
            int[] table = seq.blockTable();
            if (seq.pendingTokens() > 0) {
                // A decode of the token the step in flight is sampling: the device reads it from that step's row.
                inputs.add(SequenceInput.sampledBy(choice.submittedRow, start, table, choice.sampling));
                continue;
            }
            int[] tokens = new int[chunk.tokens()];
            seq.copyTokens(start, chunk.tokens(), tokens, 0);
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
        return inputs;
    }
    /** Commits the chunk's tokens to the KV sequence; false when its request or choice has already ended. */
    private boolean commit(Choice choice, int tokens) {
        GenerationJob job = choice.job;
        KvSequence seq = choice.seq;
        int promptPart = Math.max(0, Math.min(seq.promptLength(), seq.computedTokens() + tokens)
                - seq.computedTokens());
        kv.commitComputed(seq, tokens);
        counters.promptTokensComputed += promptPart;
        job.promptTokensReached = Math.max(job.promptTokensReached, Math.min(job.promptTokens(),
                seq.computedTokens()));
        return !job.terminated && !choice.finished;
    }

    /** Hands the step's output for {@code choice} on; true when that produced tokens. */
    private boolean takeOutput(Choice choice, SequenceOutput output) {
        return switch (output) {
            case SequenceOutput.Sampled sampled -> {
                choice.job.forked = true;
                acceptor.accept(choice, sampled.result());
                yield true;
            }
            case SequenceOutput.Logits logits -> {
                forker.fork(choice, logits.values());
                yield true;
            }
            case SequenceOutput.Nothing nothing -> false; // a prefill chunk that is not the prompt's last
            case SequenceOutput.HiddenMean hidden ->
                    throw new IllegalStateException("a generation step returned a hidden state");
        };
    }

    @Override
    public String toString() {
        return "ForwardStep[" + modelId + ", " + executor + "]";
    }
}
