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
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.TenantSpec;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Flex work gives way to live work in the engine — deferred prefills, preemptions for live arrivals — and none of it
 * may show in what the flex requests get. Random patterns — a batch of flex requests at the start, live requests
 * arriving at random steps, random slot counts, pool sizes, prompt and output lengths, policies — run on a stepped
 * engine twice: with the batch at the flex tier, and with the same requests at the default tier; every request's
 * greedy tokens must equal the plain model's, every stream must be well formed, usage must be the same in both runs,
 * and the engine must end holding nothing.
 */
class LocalEngineFlexTest {

    private static final int RUNS = Integer.getInteger("fairlane.flex.runs", 16);
    private static final List<TenantSpec> TENANTS = List.of(
            TenantSpec.of("batch", 1).withTiers(EnumSet.of(ServiceTier.DEFAULT, ServiceTier.FLEX)),
            TenantSpec.of("live", 1));

    private record Outcome(long seed, List<GenerationRequest> requests, List<List<TokenEvent>> flex,
                           List<List<TokenEvent>> plain, long flexPreemptions, int blocksLeft, int waitingLeft) {
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
        int blocks = random.nextInt(3) == 0 ? between(random, 40 / blockSize + 2, 80 / blockSize) : 256;
        Policy policy = random.nextBoolean() ? new Policy.VirtualTokenCounter() : new Policy.DeficitRoundRobin(64);
        List<Integer> steps = new ArrayList<>();
        List<GenerationRequest> flexTier = new ArrayList<>();
        List<GenerationRequest> defaultTier = new ArrayList<>();
        int batch = between(random, 4, 10);
        int live = between(random, 1, 5);
        for (int i = 0; i < batch + live; i++) {
            boolean isBatch = i < batch;
            steps.add(isBatch ? between(random, 0, 2) : between(random, 1, 40));
            // Distinct prompts, so that a prefix shared by chance cannot make usage depend on the schedule.
            int[] prompt = random.ints(between(random, 3, 40), 1, ToyModel.VOCAB).toArray();
            String tenant = isBatch ? "batch" : "live";
            SamplingParams sampling = SamplingParams.greedy(between(random, 2, 16));
            String id = "r" + i + "-" + random.nextLong();
            flexTier.add(new GenerationRequest(id, tenant, isBatch ? ServiceTier.FLEX : ServiceTier.DEFAULT, tenant,
                    new PreparedPrompt(prompt, ""), sampling, 1));
            defaultTier.add(new GenerationRequest(id, tenant, ServiceTier.DEFAULT, tenant,
                    new PreparedPrompt(prompt, ""), sampling, 1));
        }
        try (SteppedEngine withFlex = new SteppedEngine(blocks, blockSize, 64, maxRunning, policy, TENANTS,
                Preemption.none());
             SteppedEngine plain = new SteppedEngine(blocks, blockSize, 64, maxRunning, policy, TENANTS,
                     Preemption.none())) {
            List<List<TokenEvent>> flexEvents = events(withFlex.run(arrivals(steps, flexTier)));
            List<List<TokenEvent>> plainEvents = events(plain.run(arrivals(steps, defaultTier)));
            var snapshot = withFlex.engine.snapshot();
            long flexPreemptions = snapshot.tenants().values().stream().mapToLong(t -> t.flexPreemptions()).sum();
            int queued = withFlex.queue.snapshot().tenants().values().stream()
                    .mapToInt(t -> t.running() + t.queuedRequests()).sum();
            return new Outcome(seed, flexTier, flexEvents, plainEvents, flexPreemptions, snapshot.kvBlocksUsed(),
                    queued + snapshot.running() + snapshot.waiting());
        }
    }

    private static List<SteppedEngine.Arrival> arrivals(List<Integer> steps, List<GenerationRequest> requests) {
        List<SteppedEngine.Arrival> out = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            out.add(new SteppedEngine.Arrival(steps.get(i), requests.get(i)));
        }
        return out;
    }

    private static List<List<TokenEvent>> events(List<RecordingSink> sinks) {
        return sinks.stream().map(RecordingSink::events).toList();
    }

    private static List<Integer> tokens(List<TokenEvent> events) {
        return events.stream().filter(e -> e instanceof TokenEvent.Token).map(e -> ((TokenEvent.Token) e).tokenId())
                .toList();
    }

    @Test
    void greedy_flexGivingWayToLive_sameTokensAsThePlainModel() {
        for (Outcome o : OUTCOMES) {
            for (int i = 0; i < o.requests.size(); i++) {
                GenerationRequest r = o.requests.get(i);
                // The toy never samples EOS: every request runs to max_tokens.
                assertThat(tokens(o.flex.get(i))).as("seed %d, request %d", o.seed, i).isEqualTo(
                        ToyModel.reference(r.prompt().tokenIds(), r.sampling(), 0, 0, r.sampling().maxTokens()));
            }
        }
    }

    @Test
    void streams_flexGivingWayToLive_wellFormedAndEveryRequestCompletes() {
        for (Outcome o : OUTCOMES) {
            for (int i = 0; i < o.requests.size(); i++) {
                assertThat(List.of(EventOrder.violations(o.flex.get(i), 1), o.flex.get(i).getLast() instanceof
                        TokenEvent.Finished)).as("seed %d, request %d", o.seed, i).containsExactly(List.of(), true);
            }
        }
    }

    @Test
    void usage_flexTier_sameAsAtTheDefaultTier() {
        for (Outcome o : OUTCOMES) {
            for (int i = 0; i < o.requests.size(); i++) {
                assertThat(o.flex.get(i).getLast()).as("seed %d, request %d", o.seed, i)
                        .isEqualTo(o.plain.get(i).getLast());
            }
        }
    }

    @Test
    void engine_afterEveryRequestEnded_holdsNoBlockAndNoTicket() {
        for (Outcome o : OUTCOMES) {
            assertThat(List.of(o.blocksLeft, o.waitingLeft)).as("seed %d", o.seed).containsExactly(0, 0);
        }
    }

    @Test
    void arrivalPatterns_exercisePreemptionForLiveArrivals() {
        assertThat(OUTCOMES.stream().filter(o -> o.flexPreemptions > 0).count()).isGreaterThan(0);
    }
}
