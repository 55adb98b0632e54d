package io.fairlane.scheduler;

import static io.fairlane.scheduler.Schedulers.cost;
import static io.fairlane.scheduler.Schedulers.queue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeficitLongestPrefixMatchTest {

    private final ManualTicker ticker = new ManualTicker();
    /** Cached prefix length per work item, standing in for the engine's KV block pool. */
    private final Map<String, Integer> cachedPrefix = new HashMap<>();

    private TenantScheduler<String> scheduler(Policy policy, TenantSpec... tenants) {
        return TenantSchedulers.create(policy, List.of(tenants), CostWeights.DEFAULT,
                w -> cachedPrefix.getOrDefault(w, 0), ticker, SchedulerStats.disabled());
    }

    @Test
    void next_fewWaiting_servesLongestCachedPrefixFirst() {
        var s = scheduler(new Policy.DeficitLongestPrefixMatch(10_000), TenantSpec.of("a", 1));
        cachedPrefix.put("hit", 512);
        queue(s, "a", "miss", cost(600, 10));
        queue(s, "a", "hit", cost(600, 10));

        assertThat(s.next(Capacity.unlimited()).orElseThrow().work()).isEqualTo("hit");
    }

    @Test
    void next_moreWaitingThanLimit_servesOldestFirst() {
        var s = scheduler(new Policy.DeficitLongestPrefixMatch(10_000, 1), TenantSpec.of("a", 1));
        cachedPrefix.put("hit", 512);
        queue(s, "a", "miss", cost(600, 10));
        queue(s, "a", "hit", cost(600, 10));

        assertThat(s.next(Capacity.unlimited()).orElseThrow().work()).isEqualTo("miss");
    }

    @Test
    void next_tenantWithLongestPrefixButNoCredit_waitsForTenantWithCredit() {
        var s = scheduler(new Policy.DeficitLongestPrefixMatch(100), TenantSpec.of("a", 1), TenantSpec.of("b", 1));
        cachedPrefix.put("a-hit-1", 500);
        cachedPrefix.put("a-hit-2", 500);
        queue(s, "a", "a-hit-1", cost(600, 0));
        queue(s, "a", "a-hit-2", cost(600, 0));
        queue(s, "b", "b-miss", cost(600, 0));
        s.next(Capacity.unlimited()); // a-hit-1 spends a's quantum (charge 100)

        assertThat(s.next(Capacity.unlimited()).orElseThrow().work()).isEqualTo("b-miss");
    }

    @Test
    void dispatch_cachedPrefix_chargesOnlyExtendTokens() {
        var s = scheduler(new Policy.DeficitLongestPrefixMatch(10_000), TenantSpec.of("a", 1));
        cachedPrefix.put("a0", 400);
        queue(s, "a", "a0", cost(600, 10));
        queue(s, "a", "a1", cost(600, 10));
        s.next(Capacity.unlimited());

        assertThat(s.snapshot().tenants().get("a").balance()).isCloseTo(10_000 - 200, within(1e-9));
    }

    @Test
    void complete_fewerCachedTokensThanMatched_chargesTheMissedInput() {
        var s = scheduler(new Policy.DeficitLongestPrefixMatch(10_000), TenantSpec.of("a", 1));
        cachedPrefix.put("a0", 400);
        queue(s, "a", "a0", cost(600, 10));
        queue(s, "a", "a1", cost(600, 10));
        Ticket<String> t = s.next(Capacity.unlimited()).orElseThrow();
        s.progress(t, 10);
        s.complete(t, new ActualCost(600, 300, 10));

        assertThat(s.snapshot().tenants().get("a").balance()).isCloseTo(10_000 - 300 - 20, within(1e-9));
    }
}
