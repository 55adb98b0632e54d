package io.fairlane.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Preemption;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.kv.KvCacheManager;
import io.fairlane.engine.sampling.SamplingState;
import io.fairlane.engine.sampling.StopConditions;
import io.fairlane.engine.sampling.StopMatcher;
import io.fairlane.scheduler.CostEstimate;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.TenantSpec;
import io.fairlane.scheduler.Ticker;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The batch scheduler alone, with forward steps simulated: commit what was planned, append a token. */
class BatchSchedulerTest {

    private static final int BS = 4;

    private final FifoTenantScheduler<Work> queue = new FifoTenantScheduler<>();
    private final QueuedTenants queuedTenants = new QueuedTenants();
    private long order;

    private GenerationJob submit(KvCacheManager kv, String tenant, ServiceTier tier, int promptLength) {
        int[] prompt = IntStream.range(0, promptLength).map(i -> 1 + (int) (order * 13 + i) % 50).toArray();
        GenerationRequest r = new GenerationRequest("r" + order, tenant, tier, tenant, new PreparedPrompt(prompt, ""),
                SamplingParams.greedy(100), 1);
        GenerationJob job = new GenerationJob(r, e -> { }, ++order, kv.newSequence(tenant, tenant, prompt), 1);
        job.choices.add(new Choice(job, 0, job.root, SamplingState.of(r.sampling(), 1, 0),
                new StopConditions(List.of(), r.sampling(), 1024), ToyModel.letters().newDecoder(),
                new StopMatcher(List.of())));
        queue.offer(tenant, job, new CostEstimate(promptLength, 0, 100), tier);
        queuedTenants.queued(tenant);
        return job;
    }

    /** What the loop does after a forward step: commit the chunks and give finished prefills a token. */
    private static void simulateStep(KvCacheManager kv, StepPlan plan) {
        for (StepPlan.Chunk c : plan.chunks()) {
            kv.commitComputed(c.choice().seq, c.tokens());
            if (c.choice().seq.uncomputedTokens() == 0) {
                c.choice().seq.appendToken(7);
                c.choice().job.forked = true;
            }
        }
    }

    private static List<Choice> planned(StepPlan plan) {
        return plan.chunks().stream().map(StepPlan.Chunk::choice).toList();
    }

    @Test
    void schedule_prefillAheadOfDecodeInRunningOrder_decodeTakesBudgetFirst() {
        KvCacheManager kv = new KvCacheManager(64, BS);
        BatchScheduler batch = new BatchScheduler(kv, queue, Ticker.system(), 10, 8, List.of());
        GenerationJob decoding = submit(kv, "b", ServiceTier.DEFAULT, 2);
        GenerationJob prefilling = submit(kv, "a", ServiceTier.DEFAULT, 40);
        simulateStep(kv, batch.schedule()); // decoding: 2 prompt tokens and a first token; prefilling: 8 of 40
        // A resumed or forked choice can sit ahead of a decoding one; put the prefill first to show it.
        batch.running().remove(prefilling.choices.getFirst());
        batch.running().addFirst(prefilling.choices.getFirst());
        assertThat(batch.schedule().chunks().getFirst())
                .isEqualTo(new StepPlan.Chunk(decoding.choices.getFirst(), 1));
    }

    @Test
    void schedule_poolExhausted_preemptsFlexBeforeDefault() {
        // 4 blocks of 4 tokens: two 7-token prompts take 2 blocks each; the first decode of each needs a third.
        KvCacheManager kv = new KvCacheManager(4, BS);
        BatchScheduler batch = new BatchScheduler(kv, queue, Ticker.system(), 64, 8, List.of());
        GenerationJob flex = submit(kv, "a", ServiceTier.FLEX, 8);
        GenerationJob normal = submit(kv, "b", ServiceTier.DEFAULT, 8);
        simulateStep(kv, batch.schedule());
        StepPlan plan = batch.schedule();
        assertThat(planned(plan)).containsExactly(normal.choices.getFirst());
    }

    @Test
    void schedule_poolExhausted_preemptsTenantFurthestOverItsShare() {
        // Tenant "big" holds two sequences, "small" one (admitted last, so newest); equal weights.
        KvCacheManager kv = new KvCacheManager(6, BS);
        BatchScheduler batch = new BatchScheduler(kv, queue, Ticker.system(), 64, 8,
                List.of(TenantSpec.of("big", 1), TenantSpec.of("small", 1)));
        submit(kv, "big", ServiceTier.DEFAULT, 8);
        submit(kv, "big", ServiceTier.DEFAULT, 8);
        GenerationJob small = submit(kv, "small", ServiceTier.DEFAULT, 8);
        simulateStep(kv, batch.schedule());
        StepPlan plan = batch.schedule();
        assertThat(planned(plan)).contains(small.choices.getFirst());
    }

    @Test
    void schedule_poolExhausted_heavierWeightProtectsTenant() {
        // Same layout, but "big" has three times the weight: its two sequences are within its share.
        KvCacheManager kv = new KvCacheManager(6, BS);
        BatchScheduler batch = new BatchScheduler(kv, queue, Ticker.system(), 64, 8,
                List.of(TenantSpec.of("big", 3), TenantSpec.of("small", 1)));
        submit(kv, "big", ServiceTier.DEFAULT, 8);
        submit(kv, "big", ServiceTier.DEFAULT, 8);
        GenerationJob small = submit(kv, "small", ServiceTier.DEFAULT, 8);
        simulateStep(kv, batch.schedule());
        StepPlan plan = batch.schedule();
        assertThat(planned(plan)).doesNotContain(small.choices.getFirst());
    }

    @Test
    void schedule_preemptedChoiceWaiting_newWorkDoesNotOvertakeIt() {
        KvCacheManager kv = new KvCacheManager(4, BS);
        BatchScheduler batch = new BatchScheduler(kv, queue, Ticker.system(), 64, 8, List.of());
        submit(kv, "a", ServiceTier.DEFAULT, 8);
        submit(kv, "b", ServiceTier.DEFAULT, 8);
        simulateStep(kv, batch.schedule());
        simulateStep(kv, batch.schedule()); // the newer choice is preempted here and waits to resume
        GenerationJob late = submit(kv, "c", ServiceTier.DEFAULT, 1);
        assertThat(planned(batch.schedule())).doesNotContain(late.choices.getFirst());
    }

    @Test
    void schedule_flexChoiceWaitingToResume_defaultArrivalOvertakesIt() {
        KvCacheManager kv = new KvCacheManager(4, BS);
        BatchScheduler batch = new BatchScheduler(kv, queue, Ticker.system(), 64, 8, List.of());
        submit(kv, "a", ServiceTier.FLEX, 8);
        submit(kv, "b", ServiceTier.DEFAULT, 8);
        simulateStep(kv, batch.schedule());
        simulateStep(kv, batch.schedule()); // the flex choice is preempted here and waits to resume
        GenerationJob late = submit(kv, "c", ServiceTier.DEFAULT, 1);
        assertThat(planned(batch.schedule())).contains(late.choices.getFirst());
    }

    @Test
    void schedule_liveArrivalWithSlotsFullOfFlex_preemptsNewestFlexWithoutFairSharePreemption() {
        KvCacheManager kv = new KvCacheManager(64, BS);
        BatchScheduler batch = fourSlots(kv, Preemption.none());
        List<GenerationJob> flex = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            flex.add(submit(kv, "batch", ServiceTier.FLEX, 8));
            simulateStep(kv, batch.schedule()); // one flex prompt per step: each takes the step's flex allowance
        }
        GenerationJob live = submit(kv, "live", ServiceTier.DEFAULT, 8);
        StepPlan plan = batch.schedule();
        assertThat(List.of(planned(plan).contains(live.choices.getFirst()), plan.preemptions(),
                flex.getLast().choices.getFirst().waitingToResume)).containsExactly(true, 1, true);
    }

    @Test
    void preemptionsByTenant_flexPreemptedForLiveArrival_bookedAsFlex() {
        KvCacheManager kv = new KvCacheManager(64, BS);
        BatchScheduler batch = fourSlots(kv, Preemption.fairShare());
        for (int i = 0; i < 4; i++) {
            submit(kv, "batch", ServiceTier.FLEX, 8);
            simulateStep(kv, batch.schedule());
        }
        submit(kv, "live", ServiceTier.DEFAULT, 8);
        batch.schedule();
        Preemptions.TenantPreemptions books = batch.preemptionsByTenant().get("batch");
        assertThat(List.of(books.flex(), books.fairShare(), books.kvCache(), books.total()))
                .containsExactly(1L, 0L, 0L, 1L);
    }

    @Test
    void schedule_liveArrivalWithSlotsFullOfDefault_flexNotPreemptedAndLiveWaits() {
        KvCacheManager kv = new KvCacheManager(64, BS);
        BatchScheduler batch = fourSlots(kv, Preemption.none());
        GenerationJob flex = submit(kv, "batch", ServiceTier.FLEX, 8);
        simulateStep(kv, batch.schedule());
        for (int i = 0; i < 3; i++) {
            submit(kv, "other", ServiceTier.DEFAULT, 8);
        }
        simulateStep(kv, batch.schedule());
        GenerationJob live = submit(kv, "live", ServiceTier.DEFAULT, 8);
        StepPlan plan = batch.schedule();
        // The one flex sequence gives its slot to the arrival; with none left, the next arrival waits.
        assertThat(List.of(planned(plan).contains(live.choices.getFirst()), flex.choices.getFirst().waitingToResume))
                .containsExactly(true, true);
        simulateStep(kv, plan);
        GenerationJob later = submit(kv, "live", ServiceTier.DEFAULT, 8);
        assertThat(planned(batch.schedule())).doesNotContain(later.choices.getFirst());
    }

    /** Tokens planned for {@code job}'s first choice in {@code plan}, 0 when none. */
    private static int tokensOf(StepPlan plan, GenerationJob job) {
        return plan.chunks().stream().filter(c -> c.choice() == job.choices.getFirst()).mapToInt(StepPlan.Chunk::tokens)
                .sum();
    }

    @Test
    void schedule_livePromptPrefilling_noFlexPrefillInItsSteps() {
        // 64-token steps (flex allowance 8); a 200-token flex prompt is prefilling when a 100-token live prompt
        // arrives: the live prompt takes two steps, neither carries a flex chunk.
        KvCacheManager kv = new KvCacheManager(256, BS);
        BatchScheduler batch = fourSlots(kv, Preemption.none());
        GenerationJob flex = submit(kv, "batch", ServiceTier.FLEX, 200);
        simulateStep(kv, batch.schedule());
        GenerationJob live = submit(kv, "live", ServiceTier.DEFAULT, 100);
        StepPlan first = batch.schedule();
        simulateStep(kv, first);
        StepPlan second = batch.schedule();
        assertThat(List.of(tokensOf(first, live), tokensOf(first, flex), tokensOf(second, live),
                tokensOf(second, flex))).containsExactly(64, 0, 36, 0);
    }

    @Test
    void schedule_liveDecoding_flexPrefillBoundedToItsAllowance() {
        KvCacheManager kv = new KvCacheManager(256, BS);
        BatchScheduler batch = fourSlots(kv, Preemption.none());
        GenerationJob live = submit(kv, "live", ServiceTier.DEFAULT, 8);
        simulateStep(kv, batch.schedule()); // live's prompt; it decodes from now on
        GenerationJob flex = submit(kv, "batch", ServiceTier.FLEX, 200);
        StepPlan plan = batch.schedule();
        assertThat(List.of(tokensOf(plan, live), tokensOf(plan, flex)))
                .containsExactly(1, 64 / BatchScheduler.FLEX_STEP_DIVISOR);
    }

    @Test
    void schedule_flexAlone_takesWholeStepsAndFinishesItsPrompt() {
        KvCacheManager kv = new KvCacheManager(256, BS);
        BatchScheduler batch = fourSlots(kv, Preemption.none());
        GenerationJob flex = submit(kv, "batch", ServiceTier.FLEX, 200);
        int allowance = 64; // no live work has run: the whole step's budget
        int steps = 0;
        while (!flex.choices.getFirst().decoding()) {
            StepPlan plan = batch.schedule();
            assertThat(tokensOf(plan, flex)).isEqualTo(Math.min(allowance, flex.choices.getFirst().seq.uncomputedTokens()));
            simulateStep(kv, plan);
            steps++;
        }
        assertThat(steps).isEqualTo((200 + allowance - 1) / allowance);
    }

    @Test
    void schedule_liveGone_flexStaysBoundedForTheHoldThenTakesWholeSteps() {
        ManualTicker ticker = new ManualTicker();
        KvCacheManager kv = new KvCacheManager(256, BS);
        BatchScheduler batch = fourSlots(kv, Preemption.none(), ticker, List.of());
        GenerationJob live = submit(kv, "live", ServiceTier.DEFAULT, 8);
        simulateStep(kv, batch.schedule());
        GenerationJob flex = submit(kv, "batch", ServiceTier.FLEX, 400);
        simulateStep(kv, batch.schedule()); // beside live: bounded
        finish(batch, live);
        ticker.nanos += BatchScheduler.FLEX_HOLD_NANOS / 2;
        StepPlan withinHold = batch.schedule();
        simulateStep(kv, withinHold);
        ticker.nanos += BatchScheduler.FLEX_HOLD_NANOS;
        StepPlan afterHold = batch.schedule();

        assertThat(List.of(tokensOf(withinHold, flex), tokensOf(afterHold, flex)))
                .containsExactly(64 / BatchScheduler.FLEX_STEP_DIVISOR, 64);
    }

    @Test
    void schedule_liveRefusedForBlocks_flexPrefillWaits() {
        // 20 blocks of 4 tokens. "other" (default) holds 12 blocks; a flex prompt of 80 tokens has 8 tokens (2 blocks)
        // computed. A 40-token live prompt needs 10 blocks: the 6 free ones and the flex sequence's 2 are not enough,
        // so it is refused, and the flex prompt gets no chunk while it waits.
        KvCacheManager kv = new KvCacheManager(20, BS);
        BatchScheduler batch = fourSlots(kv, Preemption.none());
        GenerationJob other = submit(kv, "other", ServiceTier.DEFAULT, 47);
        simulateStep(kv, batch.schedule());
        GenerationJob flex = submit(kv, "batch", ServiceTier.FLEX, 80);
        simulateStep(kv, batch.schedule());
        GenerationJob live = submit(kv, "live", ServiceTier.DEFAULT, 40);
        StepPlan plan = batch.schedule();
        assertThat(List.of(tokensOf(plan, other), tokensOf(plan, live), tokensOf(plan, flex)))
                .containsExactly(1, 0, 0);
    }

    @Test
    void schedule_stepThatPreempted_admitsNothingNew() {
        KvCacheManager kv = new KvCacheManager(4, BS);
        BatchScheduler batch = new BatchScheduler(kv, queue, Ticker.system(), 64, 8, List.of());
        submit(kv, "a", ServiceTier.FLEX, 8);
        submit(kv, "b", ServiceTier.DEFAULT, 8);
        simulateStep(kv, batch.schedule());
        submit(kv, "c", ServiceTier.DEFAULT, 1);
        StepPlan plan = batch.schedule();
        assertThat(List.of(plan.preemptions(), plan.started().size())).containsExactly(1, 0);
    }

    /** Four sequence slots, 64-token steps, equal weights. */
    private BatchScheduler fourSlots(KvCacheManager kv, Preemption preemption) {
        return new BatchScheduler(kv, queue, Ticker.system(), 64, 4, List.of(), preemption, queuedTenants);
    }

    /** Four running sequences of "heavy" in a batch of four slots, then one request of "light". */
    private GenerationJob fullOfHeavyThenLight(BatchScheduler batch, KvCacheManager kv, ServiceTier heavyTier,
                                               ServiceTier lightTier) {
        for (int i = 0; i < 4; i++) {
            submit(kv, "heavy", heavyTier, 8);
        }
        simulateStep(kv, batch.schedule());
        return submit(kv, "light", lightTier, 8);
    }

    @Test
    void schedule_batchFullOfOverShareTenant_admitsUnderShareArrival() {
        KvCacheManager kv = new KvCacheManager(64, BS);
        BatchScheduler batch = fourSlots(kv, Preemption.fairShare());
        GenerationJob light = fullOfHeavyThenLight(batch, kv, ServiceTier.DEFAULT, ServiceTier.DEFAULT);
        assertThat(planned(batch.schedule())).contains(light.choices.getFirst());
    }

    @Test
    void schedule_batchFullOfOverShareTenant_preemptsOneOfItsSequences() {
        KvCacheManager kv = new KvCacheManager(64, BS);
        BatchScheduler batch = fourSlots(kv, Preemption.fairShare());
        fullOfHeavyThenLight(batch, kv, ServiceTier.DEFAULT, ServiceTier.DEFAULT);
        assertThat(batch.schedule().preemptions()).isEqualTo(1);
    }

    @Test
    void schedule_fairnessPreemptionOff_arrivalWaitsForASlot() {
        KvCacheManager kv = new KvCacheManager(64, BS);
        BatchScheduler batch = fourSlots(kv, Preemption.none());
        GenerationJob light = fullOfHeavyThenLight(batch, kv, ServiceTier.DEFAULT, ServiceTier.DEFAULT);
        assertThat(planned(batch.schedule())).doesNotContain(light.choices.getFirst());
    }

    @Test
    void schedule_overShareTenantOfHigherTier_notPreemptedForLowerTier() {
        KvCacheManager kv = new KvCacheManager(64, BS);
        BatchScheduler batch = fourSlots(kv, Preemption.fairShare());
        GenerationJob light = fullOfHeavyThenLight(batch, kv, ServiceTier.PRIORITY, ServiceTier.DEFAULT);
        assertThat(planned(batch.schedule())).doesNotContain(light.choices.getFirst());
    }

    @Test
    void schedule_arrivalsTenantAtItsShare_noPreemption() {
        KvCacheManager kv = new KvCacheManager(64, BS);
        BatchScheduler batch = fourSlots(kv, Preemption.fairShare());
        submit(kv, "heavy", ServiceTier.DEFAULT, 8);
        submit(kv, "heavy", ServiceTier.DEFAULT, 8);
        submit(kv, "light", ServiceTier.DEFAULT, 8);
        submit(kv, "light", ServiceTier.DEFAULT, 8);
        simulateStep(kv, batch.schedule());
        submit(kv, "light", ServiceTier.DEFAULT, 8); // a third would take light over its 2 of 4 slots
        assertThat(batch.schedule().preemptions()).isZero();
    }

    /** A ticker the test moves by hand. */
    private static final class ManualTicker implements Ticker {
        long nanos;

        @Override
        public long nanos() {
            return nanos;
        }
    }

    private BatchScheduler fourSlots(KvCacheManager kv, Preemption preemption, Ticker ticker,
                                     List<TenantSpec> tenants) {
        return new BatchScheduler(kv, queue, ticker, 64, 4, tenants, preemption, queuedTenants);
    }

    /** Runs a choice to its end as the loop does when it finishes: frees its blocks, takes it off the batch. */
    private static void finish(BatchScheduler batch, GenerationJob job) {
        job.choices.getFirst().finished = true;
        batch.finish(job.choices.getFirst());
    }

    @Test
    void schedule_underShareArrival_preemptsNewestOfTenantFurthestAboveItsShare() {
        // Weights heavy 2, mid 1, fresh 1 over four slots: shares 2, 1 and 1. heavy holds its 2, mid twice its 1.
        KvCacheManager kv = new KvCacheManager(64, BS);
        BatchScheduler batch = fourSlots(kv, Preemption.fairShare(), Ticker.system(),
                List.of(TenantSpec.of("heavy", 2), TenantSpec.of("mid", 1), TenantSpec.of("fresh", 1)));
        submit(kv, "heavy", ServiceTier.DEFAULT, 8);
        submit(kv, "heavy", ServiceTier.DEFAULT, 8);
        submit(kv, "mid", ServiceTier.DEFAULT, 8);
        GenerationJob midNewest = submit(kv, "mid", ServiceTier.DEFAULT, 8);
        simulateStep(kv, batch.schedule());
        submit(kv, "fresh", ServiceTier.DEFAULT, 8);
        batch.schedule();
        assertThat(midNewest.choices.getFirst().waitingToResume).isTrue();
    }

    @Test
    void schedule_tenantHoldingExactlyItsShare_neverPreempted() {
        // Same weights; heavy holds 2 (its share) and mid 2 (above its share of 1): only one mid sequence may go.
        KvCacheManager kv = new KvCacheManager(64, BS);
        BatchScheduler batch = fourSlots(kv, Preemption.fairShare(), Ticker.system(),
                List.of(TenantSpec.of("heavy", 2), TenantSpec.of("mid", 1), TenantSpec.of("fresh", 1)));
        GenerationJob h1 = submit(kv, "heavy", ServiceTier.DEFAULT, 8);
        GenerationJob h2 = submit(kv, "heavy", ServiceTier.DEFAULT, 8);
        submit(kv, "mid", ServiceTier.DEFAULT, 8);
        submit(kv, "mid", ServiceTier.DEFAULT, 8);
        simulateStep(kv, batch.schedule());
        submit(kv, "fresh", ServiceTier.DEFAULT, 8);
        simulateStep(kv, batch.schedule());
        submit(kv, "fresh", ServiceTier.DEFAULT, 8); // over fresh's share of 1 now: must not preempt heavy
        batch.schedule();
        assertThat(List.of(h1.choices.getFirst().waitingToResume, h2.choices.getFirst().waitingToResume))
                .containsExactly(false, false);
    }

    /** Fills four slots with "heavy", preempts its newest for "light", ends light, resumes the victim. */
    private List<GenerationJob> heavyPreemptedAndResumed(KvCacheManager kv, BatchScheduler batch) {
        List<GenerationJob> heavy = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            heavy.add(submit(kv, "heavy", ServiceTier.DEFAULT, 8));
        }
        simulateStep(kv, batch.schedule());
        GenerationJob light = submit(kv, "light", ServiceTier.DEFAULT, 8);
        simulateStep(kv, batch.schedule()); // heavy's newest is preempted, light prefills
        finish(batch, light);
        simulateStep(kv, batch.schedule()); // the victim resumes
        return heavy;
    }

    @Test
    void schedule_victimResumedWithinWindow_nextFairnessVictimIsAnother() {
        KvCacheManager kv = new KvCacheManager(64, BS);
        ManualTicker ticker = new ManualTicker();
        BatchScheduler batch = fourSlots(kv, new Preemption.FairShare(java.time.Duration.ofSeconds(5)), ticker,
                List.of());
        List<GenerationJob> heavy = heavyPreemptedAndResumed(kv, batch);
        ticker.nanos += java.util.concurrent.TimeUnit.SECONDS.toNanos(1);
        submit(kv, "light", ServiceTier.DEFAULT, 8);
        batch.schedule();
        assertThat(heavy.stream().map(j -> j.choices.getFirst().waitingToResume).toList())
                .containsExactly(false, false, true, false);
    }

    @Test
    void schedule_victimResumedPastWindow_mayBePreemptedAgain() {
        KvCacheManager kv = new KvCacheManager(64, BS);
        ManualTicker ticker = new ManualTicker();
        BatchScheduler batch = fourSlots(kv, new Preemption.FairShare(java.time.Duration.ofSeconds(5)), ticker,
                List.of());
        List<GenerationJob> heavy = heavyPreemptedAndResumed(kv, batch);
        ticker.nanos += java.util.concurrent.TimeUnit.SECONDS.toNanos(6);
        submit(kv, "light", ServiceTier.DEFAULT, 8);
        batch.schedule();
        assertThat(heavy.stream().map(j -> j.choices.getFirst().waitingToResume).toList())
                .containsExactly(false, false, false, true);
    }

    @Test
    void preemptionsByTenant_fairnessPreemptionAndResume_bookedAsFairShareWithTimePreempted() {
        KvCacheManager kv = new KvCacheManager(64, BS);
        ManualTicker ticker = new ManualTicker();
        BatchScheduler batch = fourSlots(kv, Preemption.fairShare(), ticker, List.of());
        for (int i = 0; i < 4; i++) {
            submit(kv, "heavy", ServiceTier.DEFAULT, 8);
        }
        simulateStep(kv, batch.schedule());
        GenerationJob light = submit(kv, "light", ServiceTier.DEFAULT, 8);
        simulateStep(kv, batch.schedule());
        ticker.nanos += 7_000;
        finish(batch, light);
        simulateStep(kv, batch.schedule());
        Preemptions.TenantPreemptions books = batch.preemptionsByTenant().get("heavy");
        assertThat(List.of(books.fairShare(), books.kvCache(), books.preemptedNanos())).containsExactly(1L, 0L, 7_000L);
    }

    @Test
    void preemptionsByTenant_resumeAfterCacheEviction_booksTokensComputedAgain() {
        // The victim had 8 prompt tokens and a sampled token computed (2 full blocks + 1 in the third); only the
        // full blocks can be found in the cache again, and the resume must recompute the last one in any case.
        KvCacheManager kv = new KvCacheManager(64, BS);
        BatchScheduler batch = fourSlots(kv, Preemption.fairShare(), Ticker.system(), List.of());
        for (int i = 0; i < 4; i++) {
            submit(kv, "heavy", ServiceTier.DEFAULT, 8);
        }
        simulateStep(kv, batch.schedule());
        simulateStep(kv, batch.schedule()); // each heavy sequence: 8 prompt + 1 output token computed, 1 sampled
        GenerationJob light = submit(kv, "light", ServiceTier.DEFAULT, 8);
        simulateStep(kv, batch.schedule());
        finish(batch, light);
        simulateStep(kv, batch.schedule());
        // 9 tokens were computed; the resume finds 8 in the cache (two whole blocks): 1 computed again.
        assertThat(batch.preemptionsByTenant().get("heavy").recomputedTokens()).isEqualTo(1L);
    }

    @Test
    void schedule_underShareArrivalBehindOverShareQueue_startsOutOfOrder() {
        // The FIFO queue's head is heavy's fifth request, which cannot start (heavy is above its share); light's
        // request behind it is asked for by name and preempts.
        KvCacheManager kv = new KvCacheManager(64, BS);
        BatchScheduler batch = fourSlots(kv, Preemption.fairShare());
        for (int i = 0; i < 5; i++) {
            submit(kv, "heavy", ServiceTier.DEFAULT, 8);
        }
        simulateStep(kv, batch.schedule());
        GenerationJob light = submit(kv, "light", ServiceTier.DEFAULT, 8);
        assertThat(planned(batch.schedule())).contains(light.choices.getFirst());
    }

    @Test
    void schedule_underShareArrivalBehindOverShareQueue_waitsWithoutFairPreemption() {
        KvCacheManager kv = new KvCacheManager(64, BS);
        BatchScheduler batch = fourSlots(kv, Preemption.none());
        for (int i = 0; i < 5; i++) {
            submit(kv, "heavy", ServiceTier.DEFAULT, 8);
        }
        simulateStep(kv, batch.schedule());
        GenerationJob light = submit(kv, "light", ServiceTier.DEFAULT, 8);
        assertThat(planned(batch.schedule())).doesNotContain(light.choices.getFirst());
    }

    /** The order prefill chunks get the budget in, for heavy (three of four slots) and light (one) prefilling. */
    private List<String> prefillOrder(Preemption preemption) {
        KvCacheManager kv = new KvCacheManager(64, BS);
        List<Choice> running = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            running.add(submit(kv, "heavy", ServiceTier.DEFAULT, 8).choices.getFirst());
        }
        running.add(submit(kv, "light", ServiceTier.DEFAULT, 8).choices.getFirst());
        Preemptions p = new Preemptions(kv, 4, preemption, List.of());
        return p.prefillOrder(List.of(running.get(2), running.get(3)), running).stream()
                .map(c -> c.job.tenant()).toList();
    }

    @Test
    void prefillOrder_fairPreemption_underShareTenantFirst() {
        assertThat(prefillOrder(Preemption.fairShare())).containsExactly("light", "heavy");
    }

    @Test
    void prefillOrder_noFairPreemption_admissionOrder() {
        assertThat(prefillOrder(Preemption.none())).containsExactly("heavy", "light");
    }
}
