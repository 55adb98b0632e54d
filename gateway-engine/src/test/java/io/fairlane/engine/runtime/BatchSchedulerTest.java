package io.fairlane.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.PreparedPrompt;
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
        submit(kv, "a", ServiceTier.FLEX, 8);
        submit(kv, "b", ServiceTier.DEFAULT, 8);
        simulateStep(kv, batch.schedule());
        simulateStep(kv, batch.schedule()); // the flex choice is preempted here and waits to resume
        GenerationJob late = submit(kv, "c", ServiceTier.DEFAULT, 1);
        assertThat(planned(batch.schedule())).doesNotContain(late.choices.getFirst());
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
        BatchScheduler batch = new BatchScheduler(kv, queue, Ticker.system(), 64, 4, List.of(), true);
        GenerationJob light = fullOfHeavyThenLight(batch, kv, ServiceTier.DEFAULT, ServiceTier.DEFAULT);
        assertThat(planned(batch.schedule())).contains(light.choices.getFirst());
    }

    @Test
    void schedule_batchFullOfOverShareTenant_preemptsOneOfItsSequences() {
        KvCacheManager kv = new KvCacheManager(64, BS);
        BatchScheduler batch = new BatchScheduler(kv, queue, Ticker.system(), 64, 4, List.of(), true);
        fullOfHeavyThenLight(batch, kv, ServiceTier.DEFAULT, ServiceTier.DEFAULT);
        assertThat(batch.schedule().preemptions()).isEqualTo(1);
    }

    @Test
    void schedule_fairnessPreemptionOff_arrivalWaitsForASlot() {
        KvCacheManager kv = new KvCacheManager(64, BS);
        BatchScheduler batch = new BatchScheduler(kv, queue, Ticker.system(), 64, 4, List.of(), false);
        GenerationJob light = fullOfHeavyThenLight(batch, kv, ServiceTier.DEFAULT, ServiceTier.DEFAULT);
        assertThat(planned(batch.schedule())).doesNotContain(light.choices.getFirst());
    }

    @Test
    void schedule_overShareTenantOfHigherTier_notPreemptedForLowerTier() {
        KvCacheManager kv = new KvCacheManager(64, BS);
        BatchScheduler batch = new BatchScheduler(kv, queue, Ticker.system(), 64, 4, List.of(), true);
        GenerationJob light = fullOfHeavyThenLight(batch, kv, ServiceTier.PRIORITY, ServiceTier.DEFAULT);
        assertThat(planned(batch.schedule())).doesNotContain(light.choices.getFirst());
    }

    @Test
    void schedule_arrivalsTenantAtItsShare_noPreemption() {
        KvCacheManager kv = new KvCacheManager(64, BS);
        BatchScheduler batch = new BatchScheduler(kv, queue, Ticker.system(), 64, 4, List.of(), true);
        submit(kv, "heavy", ServiceTier.DEFAULT, 8);
        submit(kv, "heavy", ServiceTier.DEFAULT, 8);
        submit(kv, "light", ServiceTier.DEFAULT, 8);
        submit(kv, "light", ServiceTier.DEFAULT, 8);
        simulateStep(kv, batch.schedule());
        submit(kv, "light", ServiceTier.DEFAULT, 8); // a third would take light over its 2 of 4 slots
        assertThat(batch.schedule().preemptions()).isZero();
    }
}
