package io.fairlane.engine.runtime;

import io.fairlane.engine.FinishReason;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.sampling.SampleResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What happens to each sampled token: it joins the choice's sequence and sampling state (penalty counts, the
 * constraint's automaton, the RNG counter), becomes text through the choice's incremental decoder, passes the
 * stop-string matcher (which holds back a possible stop's prefix and cuts at a stop), and goes to the client as
 * a {@code Token} with its log probabilities; EOS, {@code max_tokens} and the context length end the choice,
 * releasing whatever text was still held. An EOS token counts as output but adds no text.
 *
 * <p>Confined to the engine loop thread.
 */
final class TokenAcceptor {

    private final TextCodec text;
    private final JobSettlement settlement;
    private final EngineCounters counters;

    TokenAcceptor(TextCodec text, JobSettlement settlement, EngineCounters counters) {
        this.text = Objects.requireNonNull(text, "text");
        this.settlement = Objects.requireNonNull(settlement, "settlement");
        this.counters = Objects.requireNonNull(counters, "counters");
    }

    void accept(Choice c, SampleResult sampled) {
        GenerationJob job = c.job;
        int id = sampled.tokenId();
        c.seq.acceptSampled(id);
        c.sampling.accept(id);
        c.outputTokens++;
        job.completionTokens++;
        job.stepTokens++;
        counters.outputTokens++;
        FinishReason reason = null;
        StringBuilder released = new StringBuilder();
        if (!c.stopConditions.isEos(id)) {
            released.append(c.stopStrings.accept(c.decoder.next(id)));
            if (c.stopStrings.stopped()) {
                reason = FinishReason.STOP;
            }
        }
        if (reason == null) {
            Optional<FinishReason> end = c.stopConditions.check(id, c.outputTokens, c.seq.knownLength());
            if (end.isPresent()) {
                released.append(c.stopStrings.accept(c.decoder.flush()));
                if (c.stopStrings.stopped()) {
                    reason = FinishReason.STOP;
                } else {
                    released.append(c.stopStrings.flush());
                    reason = end.get();
                }
            }
        }
        boolean reasoning = c.sampling.lastTokenReasoning();
        if (reasoning) {
            job.reasoningTokens++;
        }
        if (!job.emit(new TokenEvent.Token(c.index, id, released.toString(), logprob(sampled), reasoning))) {
            settlement.brokenSink(job);
            return;
        }
        if (reason != null) {
            settlement.finishChoice(c, reason);
        }
    }

    private TokenEvent.TokenLogprob logprob(SampleResult r) {
        if (!r.hasLogprob()) {
            return null;
        }
        List<TokenEvent.Alternative> top = new ArrayList<>(r.topIds().length);
        for (int j = 0; j < r.topIds().length; j++) {
            int id = r.topIds()[j];
            top.add(new TokenEvent.Alternative(text.tokenText(id), text.tokenBytes(id), r.topLogprobs()[j]));
        }
        return new TokenEvent.TokenLogprob(text.tokenText(r.tokenId()), text.tokenBytes(r.tokenId()), r.logprob(),
                top);
    }

    @Override
    public String toString() {
        return "TokenAcceptor[" + counters.outputTokens + " tokens accepted]";
    }
}
