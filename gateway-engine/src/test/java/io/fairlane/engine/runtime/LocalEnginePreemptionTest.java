package io.fairlane.engine.runtime;

import static io.fairlane.engine.kv.SeededRuns.between;
import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Preemption;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.kv.SeededRuns;
import io.fairlane.scheduler.Policy;
import io.fairlane.scheduler.SchedulerSnapshot;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.TenantSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Preemption for a fair share must be invisible in what clients get. Random arrival patterns — a tenant flooding
 * the batch, light tenants arriving at random steps, random slot counts, pool sizes (tight pools add preemptions
 * for KV blocks), prompt and output lengths, policies and {@code n} — run twice on a stepped engine, without and
 * with preemption for fairness; each request's greedy tokens must equal what the model computes on the plain token
 * list, every stream must be well formed (no token repeated or lost across a preemption, usage counting each
 * delivered token once) and the tenant scheduler must charge each tenant the same. The runs are made once and
 * each test checks one of those promises over all of them.
 */
class LocalEnginePreemptionTest {

    private static final int RUNS = Integer.getInteger("fairlane.preemption.runs", 24);
    private static final List<TenantSpec> TENANTS = List.of(TenantSpec.of("heavy", 1), TenantSpec.of("light", 1),
            TenantSpec.of("mid", 2));

    /** One arrival pattern's outcome under both settings. */
    private record Outcome(long seed, List<SteppedEngine.Arrival> arrivals, List<List<TokenEvent>> none,
                           List<List<TokenEvent>> fair, List<List<TokenEvent>> fairOverlap,
                           long fairOverlapPreemptions, Map<String, Double> serviceNone,
                           Map<String, Double> serviceFair, long fairSharePreemptions, long kvPreemptions,
                           int blocksLeftFair, int runningLeftFair) {
    }

    private static final List<Outcome> OUTCOMES = new ArrayList<>();

    @BeforeAll
    static void runAll() {
        SeededRuns.forEachSeed(RUNS, random -> OUTCOMES.add(run(random)));
    }

    private static Outcome run(Random random) {
        long seed = random.nextLong();
        int maxRunning = between(random, 2, 4);
        int blockSize = random.nextBoolean() ? 4 : 8;
        boolean tight = random.nextInt(3) == 0;
        int blocks = tight ? between(random, 40 / blockSize + 2, 80 / blockSize) : 256;
        Policy policy = random.nextBoolean() ? new Policy.VirtualTokenCounter() : new Policy.DeficitRoundRobin(64);
        List<SteppedEngine.Arrival> arrivals = new ArrayList<>();
        int heavy = between(random, 4, 9);
        for (int i = 0; i < heavy; i++) {
            arrivals.add(arrival(random, between(random, 0, 2), "heavy", maxRunning));
        }
        int light = between(random, 1, 5);
        for (int i = 0; i < light; i++) {
            arrivals.add(arrival(random, between(random, 1, 40), random.nextInt(4) == 0 ? "mid" : "light",
                    maxRunning));
        }
        Preemption fairShare = new Preemption.FairShare(Duration.ofNanos(3 * SteppedEngine.STEP_NANOS));
        Run none = runOnce(arrivals, blocks, blockSize, maxRunning, policy, Preemption.none(), false);
        Run fair = runOnce(arrivals, blocks, blockSize, maxRunning, policy, fairShare, false);
        Run overlapped = runOnce(arrivals, blocks, blockSize, maxRunning, policy, fairShare, true);
        return new Outcome(seed, arrivals, none.events, fair.events, overlapped.events,
                overlapped.fairShare + overlapped.kvCache, none.service, fair.service, fair.fairShare,
                fair.kvCache, fair.blocksLeft, fair.runningLeft);
    }

    private static SteppedEngine.Arrival arrival(Random random, int step, String tenant, int maxRunning) {
        // Distinct prompts: a prefix shared by chance would be a cache hit in one schedule and not the other, and
        // change usage; a resumed sequence still hits its own blocks.
        int[] prompt = random.ints(between(random, 3, 20), 1, ToyModel.VOCAB).toArray();
        int n = maxRunning > 2 && random.nextInt(6) == 0 ? 2 : 1;
        GenerationRequest request = new GenerationRequest("r" + random.nextLong(), tenant, ServiceTier.DEFAULT, tenant,
                new PreparedPrompt(prompt, ""), SamplingParams.greedy(between(random, 2, 16)), n);
        return new SteppedEngine.Arrival(step, request);
    }

    private record Run(List<List<TokenEvent>> events, Map<String, Double> service, long fairShare, long kvCache,
                       int blocksLeft, int runningLeft) {
    }

    private static Run runOnce(List<SteppedEngine.Arrival> arrivals, int blocks, int blockSize, int maxRunning,
                               Policy policy, Preemption preemption, boolean overlap) {
        try (SteppedEngine stepped = new SteppedEngine(blocks, blockSize, 64, maxRunning, policy, TENANTS,
                preemption, overlap)) {
            List<RecordingSink> sinks = stepped.run(arrivals);
            List<List<TokenEvent>> events = sinks.stream().map(RecordingSink::events).toList();
            SchedulerSnapshot queue = stepped.queue.snapshot();
            Map<String, Double> service = new HashMap<>();
            int running = 0;
            for (var e : queue.tenants().entrySet()) {
                service.put(e.getKey(), e.getValue().service());
                running += e.getValue().running() + e.getValue().queuedRequests();
            }
            var snapshot = stepped.engine.snapshot();
            long fair = snapshot.tenants().values().stream().mapToLong(t -> t.fairSharePreemptions()).sum();
            long kv = snapshot.tenants().values().stream().mapToLong(t -> t.kvCachePreemptions()).sum();
            return new Run(events, service, fair, kv, snapshot.kvBlocksUsed(), running + snapshot.running());
        }
    }

    private static List<Integer> tokens(List<TokenEvent> events, int choice) {
        return events.stream().filter(e -> e instanceof TokenEvent.Token t && t.choice() == choice)
                .map(e -> ((TokenEvent.Token) e).tokenId()).toList();
    }

    private static List<Integer> reference(GenerationRequest r, List<TokenEvent> events, int choice) {
        // The toy never samples EOS, so every choice runs to max_tokens; greedy ignores the seed.
        return ToyModel.reference(r.prompt().tokenIds(), r.sampling(), 0, choice, r.sampling().maxTokens());
    }

    @Test
    void greedy_withFairPreemption_sameTokensAsThePlainModel() {
        for (Outcome o : OUTCOMES) {
            for (int i = 0; i < o.arrivals.size(); i++) {
                GenerationRequest r = o.arrivals.get(i).request();
                for (int c = 0; c < r.n(); c++) {
                    assertThat(tokens(o.fair.get(i), c)).as("seed %d, request %d, choice %d", o.seed, i, c)
                            .isEqualTo(reference(r, o.fair.get(i), c));
                }
            }
        }
    }

    @Test
    void greedy_withAndWithoutFairPreemption_sameTokens() {
        for (Outcome o : OUTCOMES) {
            for (int i = 0; i < o.arrivals.size(); i++) {
                for (int c = 0; c < o.arrivals.get(i).request().n(); c++) {
                    assertThat(tokens(o.fair.get(i), c)).as("seed %d, request %d, choice %d", o.seed, i, c)
                            .isEqualTo(tokens(o.none.get(i), c));
                }
            }
        }
    }

    @Test
    void greedy_withFairPreemptionAndTheLoopAStepAhead_sameTokensAsThePlainModel() {
        for (Outcome o : OUTCOMES) {
            for (int i = 0; i < o.arrivals.size(); i++) {
                GenerationRequest r = o.arrivals.get(i).request();
                for (int c = 0; c < r.n(); c++) {
                    assertThat(tokens(o.fairOverlap.get(i), c)).as("seed %d, request %d, choice %d", o.seed, i, c)
                            .isEqualTo(reference(r, o.fairOverlap.get(i), c));
                }
                assertThat(EventOrder.violations(o.fairOverlap.get(i), r.n())).as("seed %d, request %d", o.seed, i)
                        .isEmpty();
            }
        }
        assertThat(OUTCOMES.stream().filter(o -> o.fairOverlapPreemptions > 0).count())
                .as("runs a step ahead that preempted").isGreaterThan(RUNS / 3);
    }

    @Test
    void streams_acrossPreemptions_noTokenRepeatedOrLostAndUsageCountsEachOnce() {
        for (Outcome o : OUTCOMES) {
            for (int i = 0; i < o.arrivals.size(); i++) {
                assertThat(EventOrder.violations(o.fair.get(i), o.arrivals.get(i).request().n()))
                        .as("seed %d, request %d", o.seed, i).isEmpty();
            }
        }
    }

    @Test
    void usage_withFairPreemption_sameAsWithout() {
        for (Outcome o : OUTCOMES) {
            for (int i = 0; i < o.arrivals.size(); i++) {
                assertThat(o.fair.get(i).getLast()).as("seed %d, request %d", o.seed, i)
                        .isEqualTo(o.none.get(i).getLast());
            }
        }
    }

    @Test
    void tenantScheduler_recomputeAfterPreemption_chargesNoTenant() {
        for (Outcome o : OUTCOMES) {
            assertThat(o.serviceFair).as("seed %d", o.seed).isEqualTo(o.serviceNone);
        }
    }

    @Test
    void engine_afterEveryRequestEnded_holdsNoBlockAndNoTicket() {
        for (Outcome o : OUTCOMES) {
            assertThat(List.of(o.blocksLeftFair, o.runningLeftFair)).as("seed %d", o.seed).containsExactly(0, 0);
        }
    }

    @Test
    void arrivalPatterns_exerciseBothKindsOfPreemption() {
        long withFair = OUTCOMES.stream().filter(o -> o.fairSharePreemptions > 0).count();
        long withKv = OUTCOMES.stream().filter(o -> o.kvPreemptions > 0).count();
        assertThat(List.of(withFair >= RUNS / 2, withKv > 0)).as("%d runs preempted for a fair share, %d for KV blocks",
                withFair, withKv).containsExactly(true, true);
    }

    @Test
    void abort_ofAPreemptedSequence_freesItsBlocksAndSettlesItsTicket() {
        // Two slots full of heavy work; light arrives at step 3 and preempts heavy's newer sequence, which is
        // aborted at step 5 while it waits to resume.
        List<SteppedEngine.Arrival> arrivals = List.of(
                new SteppedEngine.Arrival(0, request("heavy", 30)),
                new SteppedEngine.Arrival(0, request("heavy", 30)),
                new SteppedEngine.Arrival(3, request("light", 5)));
        String victim = arrivals.get(1).request().requestId();
        try (SteppedEngine stepped = new SteppedEngine(256, 4, 64, 2, new Policy.VirtualTokenCounter(), TENANTS,
                Preemption.fairShare())) {
            List<RecordingSink> sinks = stepped.run(arrivals, List.of(new SteppedEngine.Abort(5, victim)));
            var snapshot = stepped.engine.snapshot();
            var heavy = stepped.queue.snapshot().tenants().get("heavy");
            assertThat(List.of(sinks.get(1).last() instanceof TokenEvent.Failed,
                    snapshot.tenants().get("heavy").fairSharePreemptions(), snapshot.kvBlocksUsed(), snapshot.waiting(),
                    heavy.running())).containsExactly(true, 1L, 0, 0, 0);
        }
    }

    private static GenerationRequest request(String tenant, int maxTokens) {
        return new GenerationRequest(tenant + "-" + System.nanoTime(), tenant, ServiceTier.DEFAULT, tenant,
                new PreparedPrompt(EngineFixture.prompt(10, tenant.length() * 31 + maxTokens), ""),
                SamplingParams.greedy(maxTokens), 1);
    }
}
