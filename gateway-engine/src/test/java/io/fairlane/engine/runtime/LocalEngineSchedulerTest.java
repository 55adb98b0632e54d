package io.fairlane.engine.runtime;

import static io.fairlane.engine.runtime.EngineFixture.prompt;
import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Preemption;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.kv.KvCacheManager;
import io.fairlane.scheduler.CostWeights;
import io.fairlane.scheduler.Policy;
import io.fairlane.scheduler.SchedulerStats;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.TenantScheduler;
import io.fairlane.scheduler.TenantSchedulers;
import io.fairlane.scheduler.TenantSpec;
import io.fairlane.scheduler.Ticker;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The engine with the real tenant scheduler of every policy as its waiting queue. */
class LocalEngineSchedulerTest {

    private static final List<TenantSpec> TENANTS = List.of(TenantSpec.of("a", 1), TenantSpec.of("b", 2));

    static Stream<Arguments> policies() {
        return Stream.of(Arguments.of(new Policy.Fcfs()), Arguments.of(new Policy.DeficitRoundRobin(256)),
                Arguments.of(new Policy.VirtualTokenCounter()), Arguments.of(new Policy.DeficitLongestPrefixMatch(256)));
    }

    private record Run(List<List<Integer>> tokens, TenantScheduler<Work> queue, long preemptions) {
    }

    /** Two tenants, shared prefixes within each, a pool small enough to preempt. */
    private static Run run(Policy policy, int blocks) {
        AtomicReference<TenantScheduler<Work>> queue = new AtomicReference<>();
        AtomicReference<HeldQueue<Work>> held = new AtomicReference<>();
        ToyModel toy = new ToyModel(blocks, 16);
        LocalEngine engine = new LocalEngine(ToyModel.info(1024, List.of()), toy, ToyModel.letters(),
                ToyModel.preparer(), new KvCacheManager(blocks, 16),
                matcher -> {
                    queue.set(TenantSchedulers.create(policy, TENANTS, CostWeights.DEFAULT, matcher, Ticker.system(),
                            SchedulerStats.disabled()));
                    held.set(new HeldQueue<>(queue.get()));
                    return held.get();
                }, Ticker.system(), new LocalEngine.Limits(64, 8, TENANTS, Preemption.defaultFor(policy)));
        try {
            List<RecordingSink> sinks = new ArrayList<>();
            held.get().hold(); // every request queued before the first step: the same schedule on any machine
            for (int i = 0; i < 12; i++) {
                String tenant = i % 3 == 0 ? "a" : "b";
                int[] p = prompt(24 + i % 4 * 16, i % 2);
                RecordingSink sink = new RecordingSink();
                engine.submit(new GenerationRequest("r" + i, tenant, ServiceTier.DEFAULT, tenant,
                        new PreparedPrompt(p, ""), SamplingParams.greedy(20), 1), sink);
                sinks.add(sink);
            }
            held.get().release();
            List<List<Integer>> tokens = sinks.stream().map(s -> s.await().tokens(0)).toList();
            return new Run(tokens, queue.get(), engine.snapshot().preemptions());
        } finally {
            engine.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("policies")
    void greedy_anyPolicyAndPreemption_sameTokensAsRoomyFcfs(Policy policy) {
        List<List<Integer>> expected = run(new Policy.Fcfs(), 512).tokens();
        Run tight = run(policy, 14);
        assertThat(tight.preemptions()).as("the pool must force preemptions").isPositive();
        assertThat(tight.tokens()).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("policies")
    void scheduler_afterAllFinished_holdsNothingRunningOrQueued(Policy policy) {
        TenantScheduler<Work> queue = run(policy, 14).queue();
        assertThat(queue.snapshot().tenants().values()).allSatisfy(t ->
                assertThat(List.of(t.running(), t.queuedRequests())).containsExactly(0, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("policies")
    void finished_everyRequest_endsWithFinished(Policy policy) {
        // run() awaits a terminal event per request; a Failed one would show up as a short token list.
        assertThat(run(policy, 14).tokens()).allSatisfy(t -> assertThat(t).hasSize(20));
    }
}
