package io.fairlane.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Preemption;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.kv.KvCacheManager;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.Ticker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * The engine loop a step ahead of the device — on the toy model behaving as a device with token feedback (steps run
 * in order when awaited, decodes reading the previous step's samples) — must give every client exactly what the
 * loop gives one step at a time: the same tokens, text and usage for greedy and seeded draws, stop strings, EOS,
 * {@code n > 1}, penalties (which make the loop take the step in first) and under KV pressure, and every block back.
 */
class LocalEngineOverlapTest {

    private static final int EOS = 7;

    /** One engine run of {@code requests}, all queued before the first step. */
    private record Run(List<List<List<String>>> events, int blocksLeft, int submittedAhead) {
    }

    private static Run run(List<GenerationRequest> requests, boolean overlap, int blocks) {
        ToyModel toy = new ToyModel(blocks, 4);
        toy.feedsSampled = overlap;
        HeldQueue<Work> held = new HeldQueue<>(new FifoTenantScheduler<>());
        LocalEngine engine = new LocalEngine(ToyModel.info(1024, List.of(EOS)), toy, ToyModel.letters(),
                ToyModel.preparer(), new KvCacheManager(blocks, 4), matcher -> held, Ticker.system(),
                new LocalEngine.Limits(48, 6, List.of(), Preemption.none(), overlap));
        try {
            held.hold();
            List<RecordingSink> sinks = new ArrayList<>();
            for (GenerationRequest r : requests) {
                RecordingSink sink = new RecordingSink();
                engine.submit(r, sink);
                sinks.add(sink);
            }
            held.release();
            List<List<List<String>>> events = new ArrayList<>();
            for (int i = 0; i < sinks.size(); i++) {
                events.add(perChoice(sinks.get(i).await().events(), requests.get(i).n()));
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (engine.snapshot().kvBlocksUsed() > 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            return new Run(events, engine.snapshot().kvBlocksUsed(), toy.submittedAhead.get());
        } finally {
            engine.close();
        }
    }

    /**
     * A request's events as the client sees each choice: its tokens (text, logprobs) and its end, then the request's
     * end. How the choices of one request interleave depends on the schedule, and {@code Scheduled} carries the time
     * the request queued: neither is compared.
     */
    private static List<List<String>> perChoice(List<TokenEvent> events, int n) {
        List<List<String>> out = new ArrayList<>();
        for (int c = 0; c < n; c++) {
            int choice = c;
            out.add(events.stream().filter(e -> e instanceof TokenEvent.Token t && t.choice() == choice
                    || e instanceof TokenEvent.ChoiceFinished f && f.choice() == choice)
                    .map(LocalEngineOverlapTest::render).toList());
        }
        out.add(List.of(render(events.getLast())));
        return out;
    }

    /** An event as text, log probabilities and alternatives included (their byte arrays compare by content). */
    private static String render(TokenEvent e) {
        if (e instanceof TokenEvent.Token t) {
            StringBuilder sb = new StringBuilder("token ").append(t.tokenId()).append(" '").append(t.text()).append('\'');
            if (t.logprob() != null) {
                sb.append(' ').append(t.logprob().logprob());
                t.logprob().top().forEach(a -> sb.append(' ').append(a.token()).append('=').append(a.logprob()));
            }
            return sb.toString();
        }
        return e.toString();
    }

    private static int ids;

    private static GenerationRequest request(int promptLength, int seed, SamplingParams params, int n) {
        return new GenerationRequest("o" + ++ids, "t", ServiceTier.DEFAULT, "t",
                new PreparedPrompt(EngineFixture.prompt(promptLength, seed), ""), params, n);
    }

    private static SamplingParams params(double temperature, double presence, List<String> stop, boolean ignoreEos,
                                         int maxTokens) {
        return new SamplingParams(temperature, 1, 0, 0, OptionalLong.of(11), presence, presence / 2, Map.of(), true,
                2, maxTokens, stop, ignoreEos);
    }

    /** A mix: greedy, seeded draws, penalties, stop strings, EOS, n > 1, different lengths. */
    private static List<GenerationRequest> mix() {
        List<GenerationRequest> out = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            SamplingParams p = switch (i % 5) {
                case 0 -> params(0, 0, List.of(), true, 24);
                case 1 -> params(0.8, 0, List.of(), true, 20);
                case 2 -> params(0, 0.7, List.of(), true, 16);
                case 3 -> params(0.5, 0, List.of("q", "mz"), true, 30);
                default -> params(0.9, 0, List.of(), false, 40);
            };
            out.add(request(5 + 3 * i, i, p, i == 4 ? 3 : 1));
        }
        return out;
    }

    @Test
    void events_loopAStepAhead_sameAsOneStepAtATime() {
        List<GenerationRequest> requests = mix();
        assertThat(run(requests, true, 256).events()).isEqualTo(run(requests, false, 256).events());
    }

    @Test
    void events_loopAStepAheadUnderKvPressure_sameAsOneStepAtATime() {
        List<GenerationRequest> requests = mix();
        assertThat(run(requests, true, 40).events()).isEqualTo(run(requests, false, 40).events());
    }

    @Test
    void overlap_withATokenFeedingExecutor_submitsStepsAhead() {
        assertThat(run(mix(), true, 256).submittedAhead()).isPositive();
    }

    @Test
    void overlap_executorWithoutTokenFeedback_neverSubmitsAhead() {
        // The toy without feedback is what the CPU backend is: overlap asked for, one step at a time regardless.
        List<GenerationRequest> requests = mix();
        assertThat(run(requests, false, 256).submittedAhead()).isZero();
    }

    @Test
    void blocks_loopAStepAhead_allReturnedAtTheEnd() {
        assertThat(run(mix(), true, 40).blocksLeft()).isZero();
    }
}
