package io.fairlane.engine.runtime;

import io.fairlane.engine.kv.KvCacheManager;
import io.fairlane.engine.sampling.Sampler;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Turns the shared prompt of an {@code n > 1} request into {@code n} choices. The prompt is prefilled once, as
 * choice 0, and its last step returns the logits row instead of a token; then the other choices fork from it
 * (sharing every block, copy on write for the partial last one) and each choice samples its first token from its
 * own copy of that row, on the host with the same {@link Sampler} the backends use, each from its own seed
 * stream.
 *
 * <p>Confined to the engine loop thread.
 */
final class Forker {

    private final KvCacheManager kv;
    private final BatchScheduler batch;
    private final ChoiceFactory choices;
    private final TokenAcceptor acceptor;

    Forker(KvCacheManager kv, BatchScheduler batch, ChoiceFactory choices, TokenAcceptor acceptor) {
        this.kv = Objects.requireNonNull(kv, "kv");
        this.batch = Objects.requireNonNull(batch, "batch");
        this.choices = Objects.requireNonNull(choices, "choices");
        this.acceptor = Objects.requireNonNull(acceptor, "acceptor");
    }

    /** Forks the other choices off {@code root}, whose prompt just ended with {@code logits}, and samples each. */
    void fork(Choice root, float[] logits) {
        GenerationJob job = root.job;
        job.forked = true;
        List<Choice> all = new ArrayList<>(job.n());
        all.add(root);
        for (int i = 1; i < job.n(); i++) {
            Choice child = choices.newChoice(job, i, kv.fork(root.seq));
            job.choices.add(child);
            batch.addForked(child);
            all.add(child);
        }
        for (Choice c : all) {
            if (!job.terminated) {
                acceptor.accept(c, Sampler.sample(logits.clone(), c.sampling));
            }
        }
    }

    @Override
    public String toString() {
        return "Forker[" + kv + "]";
    }
}
