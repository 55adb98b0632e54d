package io.fairlane.engine.runtime;

import static io.fairlane.engine.runtime.EngineFixture.prompt;
import static io.fairlane.engine.runtime.EngineFixture.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fairlane.engine.EmbeddingRequest;
import io.fairlane.engine.EmbeddingResult;
import io.fairlane.engine.EngineException;
import io.fairlane.engine.EngineException.Kind;
import io.fairlane.engine.FinishReason;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.Usage;
import io.fairlane.scheduler.ActualCost;
import io.fairlane.scheduler.ServiceTier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LocalEngineTest {

    private final List<EngineFixture> fixtures = new ArrayList<>();

    @AfterEach
    void closeEngines() {
        fixtures.forEach(EngineFixture::close);
    }

    private EngineFixture engine(int blocks, int blockSize, int maxBatchTokens, int maxRunning) {
        EngineFixture f = new EngineFixture(blocks, blockSize, maxBatchTokens, maxRunning, 1024, List.of());
        fixtures.add(f);
        return f;
    }

    private EngineFixture roomy() {
        EngineFixture f = EngineFixture.roomy();
        fixtures.add(f);
        return f;
    }

    private static SamplingParams sampling(int maxTokens, List<String> stop) {
        return new SamplingParams(0, 1, 0, 0, OptionalLong.empty(), 0, 0, Map.of(), false, 0, maxTokens, stop, false);
    }

    /** Greedy tokens of each prompt run alone on a roomy engine. */
    private List<List<Integer>> soloReferences(List<int[]> prompts, int maxTokens) {
        EngineFixture solo = roomy();
        List<List<Integer>> out = new ArrayList<>();
        for (int[] p : prompts) {
            out.add(solo.run(request("solo-" + out.size(), p, SamplingParams.greedy(maxTokens), 1)).tokens(0));
        }
        return out;
    }

    /** Submits all prompts at once (each its own tenant, so no prefix sharing unless intended) and waits. */
    private static List<List<Integer>> runConcurrently(EngineFixture f, List<int[]> prompts, int maxTokens,
                                                       boolean shareSalt) {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            requests.add(request(shareSalt ? "shared" : "t" + i, prompts.get(i), SamplingParams.greedy(maxTokens), 1));
        }
        return f.submitTogether(requests).stream().map(s -> s.await().tokens(0)).toList();
    }

    // --- Outputs do not depend on the paged layout -------------------------------------------------------

    @Test
    void submit_samePromptTwice_secondReportsCachedTokens() {
        EngineFixture f = roomy();
        int[] p = prompt(100, 1);
        f.run(request(p, 10));
        TokenEvent.Finished finished = (TokenEvent.Finished) f.run(request(p, 10)).last();
        assertThat(finished.usage().cachedTokens()).isEqualTo(96);
    }

    @Test
    void greedy_withPrefixHit_sameTokensAsCold() {
        EngineFixture f = roomy();
        int[] p = prompt(100, 2);
        List<Integer> cold = f.run(request(p, 30)).tokens(0);
        assertThat(f.run(request(p, 30)).tokens(0)).isEqualTo(cold);
    }

    @Test
    void greedy_partialPrefixHitAfterDecodedBlocks_sameTokensAsCold() {
        // The second prompt extends the first conversation: its prefix hits decoded blocks, not just prompt ones.
        EngineFixture f = roomy();
        int[] first = prompt(40, 3);
        List<Integer> answer = f.run(request(first, 40)).tokens(0);
        int[] next = new int[first.length + answer.size() + 5];
        System.arraycopy(first, 0, next, 0, first.length);
        for (int i = 0; i < answer.size(); i++) {
            next[first.length + i] = answer.get(i);
        }
        System.arraycopy(prompt(5, 4), 0, next, first.length + answer.size(), 5);
        List<Integer> warm = f.run(request(next, 20)).tokens(0);
        assertThat(warm).isEqualTo(soloReferences(List.of(next), 20).getFirst());
    }

    @Test
    void greedy_underPreemption_matchesSoloRuns() {
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            prompts.add(prompt(40, 10 + i));
        }
        List<List<Integer>> expected = soloReferences(prompts, 30);
        // 8 sequences of 70 tokens need 5 blocks each; 12 blocks hold two and a bit.
        EngineFixture tight = engine(12, 16, 64, 8);
        List<List<Integer>> actual = runConcurrently(tight, prompts, 30, false);
        assertThat(tight.engine.snapshot().preemptions()).as("the pool must force preemptions").isPositive();
        assertThat(actual).isEqualTo(expected);
    }

    @ParameterizedTest(name = "step budget {0}, {1} sequences, block size {2}")
    @CsvSource({"5, 1, 16", "16, 3, 16", "33, 8, 16", "512, 16, 16", "7, 4, 4", "100, 6, 32"})
    void greedy_acrossBatchCompositions_matchesSoloRuns(int maxBatchTokens, int maxRunning, int blockSize) {
        List<int[]> prompts = List.of(prompt(3, 20), prompt(17, 21), prompt(50, 22), prompt(64, 23), prompt(1, 24),
                prompt(33, 21));
        List<List<Integer>> expected = soloReferences(prompts, 12);
        EngineFixture f = engine(512, blockSize, maxBatchTokens, maxRunning);
        assertThat(runConcurrently(f, prompts, 12, true)).isEqualTo(expected);
    }

    /** Temperature 1 with a seed: deterministic, and the choices of one request diverge. */
    private static SamplingParams seeded(int maxTokens, long seed) {
        return new SamplingParams(1.0, 1, 0, 0, OptionalLong.of(seed), 0, 0, Map.of(), false, 0, maxTokens, List.of(),
                false);
    }

    /** Every choice's tokens as the layout-free oracle computes them. */
    private static List<List<Integer>> oracle(int[] p, SamplingParams params, int n) {
        List<List<Integer>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(ToyModel.reference(p, params, params.seed().getAsLong(), i, params.maxTokens()));
        }
        return out;
    }

    private static List<List<Integer>> choices(RecordingSink sink, int n) {
        List<List<Integer>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(sink.tokens(i));
        }
        return out;
    }

    @Test
    void greedy_singleRequest_matchesTheOracle() {
        EngineFixture f = roomy();
        int[] p = prompt(50, 29);
        assertThat(f.run(request(p, 20)).tokens(0))
                .isEqualTo(ToyModel.reference(p, SamplingParams.greedy(20), 0, 0, 20));
    }

    @Test
    void nChoices_divergingChoices_eachMatchesTheOracle() {
        EngineFixture f = roomy();
        int[] p = prompt(21, 30); // a partial last block, shared by all choices until each writes into it
        SamplingParams params = seeded(25, 100);
        RecordingSink sink = f.run(request("tenant-a", p, params, 4));
        assertThat(choices(sink, 4)).isEqualTo(oracle(p, params, 4));
    }

    @Test
    void nChoices_seeded_choicesDiffer() {
        EngineFixture f = roomy();
        RecordingSink sink = f.run(request("tenant-a", prompt(21, 34), seeded(25, 100), 4));
        assertThat(java.util.Set.copyOf(choices(sink, 4))).hasSize(4);
    }

    @Test
    void nChoices_partialSharedBlock_copiedOnWrite() {
        EngineFixture f = roomy();
        f.run(request("tenant-a", prompt(21, 32), seeded(5, 100), 4));
        assertThat(f.toy.copies.get()).isEqualTo(3);
    }

    @Test
    void nChoices_underPreemption_eachMatchesTheOracle() {
        int[] p = prompt(21, 31);
        SamplingParams params = seeded(40, 100);
        EngineFixture tight = engine(9, 16, 64, 8);
        RecordingSink sink = tight.run(request("tenant-a", p, params, 3));
        assertThat(tight.engine.snapshot().preemptions()).as("the pool must force preemptions").isPositive();
        assertThat(choices(sink, 3)).isEqualTo(oracle(p, params, 3));
    }

    @Test
    void seededSampling_concurrentWithPreemption_matchesTheOracle() {
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            prompts.add(prompt(30 + i, 80 + i));
        }
        EngineFixture tight = engine(10, 16, 48, 6);
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            requests.add(request("t" + i, prompts.get(i), seeded(30, 7 + i), 1));
        }
        List<List<Integer>> actual = tight.submitTogether(requests).stream().map(s -> s.await().tokens(0)).toList();
        List<List<Integer>> expected = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            expected.add(ToyModel.reference(prompts.get(i), seeded(30, 7 + i), 7 + i, 0, 30));
        }
        assertThat(tight.engine.snapshot().preemptions()).as("the pool must force preemptions").isPositive();
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    void logprobs_requested_everyTokenCarriesThem() {
        EngineFixture f = roomy();
        SamplingParams params = new SamplingParams(0, 1, 0, 0, OptionalLong.empty(), 0, 0, Map.of(), true, 3, 5,
                List.of(), false);
        List<TokenEvent> events = f.run(request("tenant-a", prompt(10, 35), params, 1)).events();
        assertThat(events).filteredOn(e -> e instanceof TokenEvent.Token).allSatisfy(e ->
                assertThat(((TokenEvent.Token) e).logprob().top()).hasSize(3));
    }

    @Test
    void greedy_blockAlignedPromptHit_sameTokensAsCold() {
        EngineFixture f = roomy();
        int[] p = prompt(64, 33);
        List<Integer> cold = f.run(request(p, 20)).tokens(0);
        assertThat(f.run(request(p, 20)).tokens(0)).isEqualTo(cold);
    }

    // --- Event order -----------------------------------------------------------------------------------

    @Test
    void events_nChoices_followTheContract() {
        EngineFixture f = roomy();
        List<TokenEvent> events = f.run(request("tenant-a", prompt(30, 40), SamplingParams.greedy(5), 3)).events();
        assertThat(EventOrder.violations(events, 3)).isEmpty();
    }

    @Test
    void events_finished_usageCountsPromptOnceAndEveryChoicesTokens() {
        EngineFixture f = roomy();
        TokenEvent last = f.run(request("tenant-a", prompt(30, 41), SamplingParams.greedy(5), 3)).last();
        assertThat(((TokenEvent.Finished) last).usage()).isEqualTo(new io.fairlane.engine.Usage(30, 0, 15));
    }

    // --- Stopping --------------------------------------------------------------------------------------

    @Test
    void maxTokens_reached_finishesWithLength() {
        EngineFixture f = roomy();
        List<TokenEvent> events = f.run(request(prompt(10, 50), 7)).events();
        assertThat(events).contains(new TokenEvent.ChoiceFinished(0, FinishReason.LENGTH, 7));
    }

    @Test
    void stopString_acrossTokens_endsTextBeforeIt() {
        EngineFixture f = roomy();
        int[] p = prompt(10, 51);
        String full = f.run(request("tenant-a", p, sampling(20, List.of()), 1)).text(0);
        String stop = full.substring(5, 8);
        String stopped = f.run(request("tenant-a", p, sampling(20, List.of(stop)), 1)).text(0);
        assertThat(stopped).isEqualTo(full.substring(0, full.indexOf(stop)));
    }

    @Test
    void stopString_found_finishesWithStop() {
        EngineFixture f = roomy();
        int[] p = prompt(10, 52);
        String full = f.run(request("tenant-a", p, sampling(20, List.of()), 1)).text(0);
        List<TokenEvent> events = f.run(request("tenant-a", p, sampling(20, List.of(full.substring(4, 6))), 1))
                .events();
        assertThat(events).filteredOn(e -> e instanceof TokenEvent.ChoiceFinished)
                .singleElement().extracting(e -> ((TokenEvent.ChoiceFinished) e).reason()).isEqualTo(FinishReason.STOP);
    }

    @Test
    void eosToken_sampled_finishesWithStop() {
        int[] p = prompt(10, 53);
        int firstToken = soloReferences(List.<int[]>of(p), 3).getFirst().getFirst();
        EngineFixture f = new EngineFixture(64, 16, 512, 4, 1024, List.of(firstToken));
        fixtures.add(f);
        List<TokenEvent> events = f.run(request(p, 10)).events();
        assertThat(events).contains(new TokenEvent.ChoiceFinished(0, FinishReason.STOP, 1));
    }

    // --- Bad input: answered, nothing held -------------------------------------------------------------

    @Test
    void submit_promptOverContext_contextLengthExceeded() {
        EngineFixture f = new EngineFixture(256, 16, 512, 4, 64, List.of());
        fixtures.add(f);
        assertThatThrownBy(() -> f.engine.submit(request(prompt(65, 1), 1), new RecordingSink()))
                .isInstanceOfSatisfying(EngineException.class,
                        e -> assertThat(e.kind()).isEqualTo(Kind.CONTEXT_LENGTH_EXCEEDED));
    }

    @Test
    void submit_maxTokensBeyondContext_contextLengthExceededOnMaxTokens() {
        EngineFixture f = new EngineFixture(256, 16, 512, 4, 64, List.of());
        fixtures.add(f);
        assertThatThrownBy(() -> f.engine.submit(request(prompt(60, 1), 5), new RecordingSink()))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(List.of(e.kind(), e.param()))
                        .containsExactly(Kind.CONTEXT_LENGTH_EXCEEDED, "max_tokens"));
    }

    @Test
    void submit_tooManyChoices_invalidRequestOnN() {
        EngineFixture f = engine(64, 16, 512, 4);
        assertThatThrownBy(() -> f.engine.submit(request("t", prompt(5, 1), SamplingParams.greedy(3), 5),
                new RecordingSink()))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(List.of(e.kind(), e.param()))
                        .containsExactly(Kind.INVALID_REQUEST, "n"));
    }

    @Test
    void submit_emptyStopString_invalidRequestOnStop() {
        EngineFixture f = roomy();
        assertThatThrownBy(() -> f.engine.submit(request("t", prompt(5, 1), sampling(3, List.of("")), 1),
                new RecordingSink()))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.param()).isEqualTo("stop"));
    }

    @Test
    void submit_tokenOutsideVocabulary_invalidRequestOnPrompt() {
        EngineFixture f = roomy();
        assertThatThrownBy(() -> f.engine.submit(request(new int[] {1, ToyModel.VOCAB}, 3), new RecordingSink()))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(List.of(e.kind(), e.param()))
                        .containsExactly(Kind.INVALID_REQUEST, "prompt"));
    }

    @Test
    void submit_moreTokensThanThePoolHolds_invalidRequest() {
        EngineFixture f = engine(4, 16, 512, 4);
        assertThatThrownBy(() -> f.engine.submit(request(prompt(60, 1), 10), new RecordingSink()))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_REQUEST));
    }

    @Test
    void submit_rejectedTenant_rejectedWithTheSchedulersAnswer() {
        EngineFixture f = roomy();
        f.queue.rejected.add("noisy");
        assertThatThrownBy(() -> f.engine.submit(request("noisy", prompt(5, 1), SamplingParams.greedy(3), 1),
                new RecordingSink()))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.rejection()).isNotNull());
    }

    @Test
    void submit_duplicateIdWhileRunning_invalidRequest() {
        EngineFixture f = roomy();
        f.toy.gate = new Semaphore(0);
        GenerationRequest r = request(prompt(5, 1), 3);
        f.engine.submit(r, new RecordingSink());
        assertThatThrownBy(() -> f.engine.submit(r, new RecordingSink()))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_REQUEST));
        f.toy.gate.release(1000);
    }

    @Test
    void submit_afterRejection_engineKeepsServing() {
        EngineFixture f = roomy();
        try {
            f.engine.submit(request(prompt(2000, 1), 1), new RecordingSink());
        } catch (EngineException expected) {
            // refused as too long
        }
        assertThat(f.run(request(prompt(10, 1), 3)).last()).isInstanceOf(TokenEvent.Finished.class);
    }

    @Test
    void abort_midPrefill_failsWithAbortedAndFreesEveryBlock() throws InterruptedException {
        EngineFixture f = engine(64, 16, 16, 4); // 16-token steps: a 300-token prompt prefills in 19 steps
        f.toy.gate = new Semaphore(3);
        RecordingSink sink = new RecordingSink();
        GenerationRequest r = request(prompt(300, 60), 10);
        f.engine.submit(r, sink);
        f.toy.stepsEntered.acquire(4); // three steps ran; the fourth waits at the gate, mid-prefill
        f.engine.abort(r.requestId());
        f.toy.gate.release(1000);
        sink.await();
        assertThat(((TokenEvent.Failed) sink.last()).error().kind()).isEqualTo(Kind.ABORTED);
    }

    @Test
    void abort_midPrefill_poolBackToFullSize() throws InterruptedException {
        EngineFixture f = engine(64, 16, 16, 4);
        f.toy.gate = new Semaphore(3);
        RecordingSink sink = new RecordingSink();
        GenerationRequest r = request(prompt(300, 61), 10);
        f.engine.submit(r, sink);
        f.toy.stepsEntered.acquire(4); // three steps ran; the fourth waits at the gate, mid-prefill
        f.engine.abort(r.requestId());
        f.toy.gate.release(1000);
        sink.await();
        assertThat(f.blocksInUseWhenSettled()).isZero();
    }

    @Test
    void abort_midPrefill_ticketCancelledNotCompleted() throws InterruptedException {
        EngineFixture f = engine(64, 16, 16, 4);
        f.toy.gate = new Semaphore(3);
        RecordingSink sink = new RecordingSink();
        GenerationRequest r = request(prompt(300, 62), 10);
        f.engine.submit(r, sink);
        f.toy.stepsEntered.acquire(4); // three steps ran; the fourth waits at the gate, mid-prefill
        f.engine.abort(r.requestId());
        f.toy.gate.release(1000);
        sink.await();
        assertThat(List.of(f.queue.cancelled.get(), f.queue.completed.get())).containsExactly(1L, 0L);
    }

    /** Aborts a 10-token prompt's generation after a few decode steps; returns what its sink saw. */
    private static RecordingSink abortedAfterSomeTokens(EngineFixture f) throws InterruptedException {
        f.toy.gate = new Semaphore(5);
        RecordingSink sink = new RecordingSink();
        GenerationRequest r = request(prompt(10, 66), 200);
        f.engine.submit(r, sink);
        f.toy.stepsEntered.acquire(6); // five steps ran; the sixth waits at the gate
        f.engine.abort(r.requestId());
        f.toy.gate.release(1000);
        return sink.await();
    }

    @Test
    void abort_midGeneration_failedReportsTheTokensGeneratedSoFar() throws InterruptedException {
        RecordingSink sink = abortedAfterSomeTokens(engine(64, 16, 16, 4));
        long tokens = sink.events().stream().filter(e -> e instanceof TokenEvent.Token).count();
        Usage used = ((TokenEvent.Failed) sink.last()).usage();
        assertThat(List.of(used.promptTokens(), used.completionTokens())).containsExactly(10, (int) tokens);
        assertThat(tokens).isPositive();
    }

    @Test
    void abort_midGeneration_reportedUsageIsWhatTheTenantIsCharged() throws InterruptedException {
        EngineFixture f = engine(64, 16, 16, 4);
        Usage used = ((TokenEvent.Failed) abortedAfterSomeTokens(f).last()).usage();
        assertThat(f.queue.lastCancelCost.get()).isEqualTo(new ActualCost(used.promptTokens(), used.cachedTokens(),
                used.completionTokens()));
    }

    @Test
    void abort_whileQueued_failsWithoutBeingScheduled() throws InterruptedException {
        EngineFixture f = engine(64, 16, 512, 1); // one sequence at a time: the second request waits
        f.toy.gate = new Semaphore(0);
        f.engine.submit(request(prompt(10, 63), 50), new RecordingSink());
        RecordingSink second = new RecordingSink();
        GenerationRequest queued = request(prompt(10, 64), 5);
        f.engine.submit(queued, second);
        f.engine.abort(queued.requestId());
        f.toy.gate.release(1000);
        assertThat(second.await().events()).singleElement().isInstanceOf(TokenEvent.Failed.class);
    }

    @Test
    void sinkThrows_requestAbortedAndPoolBackToFullSize() {
        EngineFixture f = roomy();
        RecordingSink recorded = new RecordingSink();
        f.engine.submit(request(prompt(40, 65), 20), event -> {
            recorded.accept(event);
            if (event instanceof TokenEvent.Token) {
                throw new IllegalStateException("client gone");
            }
        });
        assertThat(recorded.await().last()).as("the engine gave up on the request").isInstanceOf(TokenEvent.Failed.class);
        assertThat(f.blocksInUseWhenSettled()).isZero();
    }

    @Test
    void forwardFails_requestFailsInternalAndEngineKeepsServing() {
        EngineFixture f = roomy();
        f.toy.broken = true;
        TokenEvent failed = f.run(request(prompt(10, 66), 5)).last();
        f.toy.broken = false;
        assertThat(List.of(((TokenEvent.Failed) failed).error().kind(), f.run(request(prompt(10, 67), 5)).last()
                .getClass())).containsExactly(Kind.INTERNAL, TokenEvent.Finished.class);
    }

    @Test
    void close_withRequestRunning_failsItUnavailable() throws InterruptedException {
        EngineFixture f = roomy();
        f.toy.gate = new Semaphore(2);
        RecordingSink sink = new RecordingSink();
        f.engine.submit(request(prompt(10, 68), 100), sink);
        sink.awaitFirstToken();
        Thread closer = Thread.ofVirtual().start(f.engine::close);
        while (closer.getState() != Thread.State.TIMED_WAITING) { // close() set the flag and waits for the loop
            Thread.sleep(1);
        }
        f.toy.gate.release(1000);
        closer.join(TimeUnit.SECONDS.toMillis(10));
        assertThat(((TokenEvent.Failed) sink.await().last()).error().kind()).isEqualTo(Kind.UNAVAILABLE);
    }

    @Test
    void submit_afterClose_unavailable() {
        EngineFixture f = roomy();
        f.engine.close();
        assertThatThrownBy(() -> f.engine.submit(request(prompt(5, 1), 3), new RecordingSink()))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE));
    }

    // --- Snapshot and stats ----------------------------------------------------------------------------

    @Test
    void snapshot_afterRepeatedPrompt_countsTenantQueriesAndHits() {
        EngineFixture f = roomy();
        int[] p = prompt(64, 70);
        f.run(request(p, 3));
        f.run(request(p, 3));
        var stats = f.awaitSnapshot(s -> s.tenants().containsKey("tenant-a")
                && s.tenants().get("tenant-a").prefixQueryTokens() == 128).tenants().get("tenant-a");
        assertThat(List.of(stats.prefixQueryTokens(), stats.prefixHitTokens())).containsExactly(128L, 48L);
    }

    @Test
    void snapshot_afterRequests_countsOutputTokens() {
        EngineFixture f = roomy();
        f.run(request(prompt(10, 71), 6));
        f.run(request(prompt(10, 72), 4));
        assertThat(f.awaitSnapshot(s -> s.outputTokens() == 10).outputTokens()).isEqualTo(10);
    }

    @Test
    void scheduler_everyFinishedRequest_settlesItsTicket() {
        EngineFixture f = roomy();
        runConcurrently(f, List.of(prompt(10, 73), prompt(20, 74), prompt(30, 75)), 5, false);
        assertThat(List.of(f.queue.completed.get(), (long) f.queue.unsettled())).containsExactly(3L, 0L);
    }

    // --- Embeddings and prompts ------------------------------------------------------------------------

    @Test
    void embed_inputs_unitLengthVectors() throws Exception {
        EngineFixture f = roomy();
        EmbeddingResult result = f.engine.embed(new EmbeddingRequest("e1", "tenant-a", ServiceTier.DEFAULT,
                List.of(new PreparedPrompt(prompt(10, 1), ""), new PreparedPrompt(prompt(3, 2), "")), 0))
                .get(10, TimeUnit.SECONDS);
        assertThat(result.vectors()).allSatisfy(v -> {
            double norm = 0;
            for (float x : v) {
                norm += x * x;
            }
            assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        });
    }

    @Test
    void embed_inputOverContext_failsContextLengthExceeded() {
        EngineFixture f = new EngineFixture(256, 16, 512, 4, 64, List.of());
        fixtures.add(f);
        var future = f.engine.embed(new EmbeddingRequest("e2", "tenant-a", ServiceTier.DEFAULT,
                List.of(new PreparedPrompt(prompt(65, 1), "")), 0));
        assertThat(future).failsWithin(5, TimeUnit.SECONDS).withThrowableThat()
                .havingCause().isInstanceOfSatisfying(EngineException.class,
                        e -> assertThat(e.kind()).isEqualTo(Kind.CONTEXT_LENGTH_EXCEEDED));
    }

    @Test
    void prepare_text_delegatesToThePreparer() {
        EngineFixture f = roomy();
        assertThat(f.engine.prepare(new Prompt.Text("abc")).length()).isEqualTo(3);
    }
}
