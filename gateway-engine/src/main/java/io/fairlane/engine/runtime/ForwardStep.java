package io.fairlane.engine.runtime;

import io.fairlane.engine.EngineException;
import io.fairlane.engine.EngineException.Kind;
import io.fairlane.engine.exec.BatchInput;
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
 * <p>A step that throws fails only the requests in it ({@code INTERNAL}), freeing their blocks; the loop goes
 * on. Confined to the engine loop thread.
 */
final class ForwardStep {

    private static final Logger LOG = LoggerFactory.getLogger(ForwardStep.class);

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

    void run(List<StepPlan.Chunk> chunks) {
        List<SequenceInput> inputs = inputs(chunks);
        StepResult result;
        try {
            result = executor.step(kv.drainPendingCopies(), new BatchInput(inputs));
        } catch (RuntimeException e) {
            LOG.error("forward step of model {} failed; failing its {} sequences", modelId, chunks.size(), e);
            EngineException error = new EngineException(Kind.INTERNAL, "the model's forward step failed", null, null, e);
            Set<GenerationJob> jobs = Collections.newSetFromMap(new IdentityHashMap<>());
            chunks.forEach(c -> jobs.add(c.choice().job));
            jobs.forEach(job -> settlement.fail(job, error));
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

    private static List<SequenceInput> inputs(List<StepPlan.Chunk> chunks) {
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
