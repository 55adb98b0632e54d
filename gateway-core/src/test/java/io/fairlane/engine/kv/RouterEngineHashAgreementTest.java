package io.fairlane.engine.kv;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.cluster.PrefixKeys;
import io.fairlane.gateway.config.TenantConfig;
import io.fairlane.scheduler.RateLimits;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The router's prefix key is the very hash the engine's KV cache gives the same blocks, salt included: checked
 * against the hashes {@link KvCacheManager} computes for a new sequence (this test sits in the engine's package to
 * read them). A router that hashed differently would route every prompt away from its cached prefix, silently.
 */
class RouterEngineHashAgreementTest {

    private static final int BLOCK = 16;

    private static TenantConfig tenant(String id, String group) {
        return new TenantConfig(id, List.of(), 1, Set.of(), OptionalDouble.empty(), 10, 1000, RateLimits.NONE,
                Optional.ofNullable(group), List.of());
    }

    private static int[] prompt(int length) {
        return IntStream.range(0, length).map(i -> (i * 7919) % 32000).toArray();
    }

    @Test
    void prefixKey_everyDepth_equalsTheEnginesBlockHashWithTheTenantsSalt() {
        TenantConfig acme = tenant("acme", null);
        int[] tokens = prompt(5 * BLOCK + 3);
        KvSequence seq = new KvCacheManager(64, BLOCK).newSequence(acme.id(), acme.cacheSalt(), tokens);

        for (int depth = 1; depth <= 5; depth++) {
            assertThat(PrefixKeys.key(tokens, BLOCK, acme, depth)).isEqualTo(seq.hash(depth - 1));
        }
        assertThat(PrefixKeys.key(tokens, BLOCK, acme, 9)).isEqualTo(seq.hash(4));
    }

    @Test
    void prefixKey_otherTenant_differs_butACacheGroupIsShared() {
        int[] tokens = prompt(4 * BLOCK);
        KvSequence engineSeq = new KvCacheManager(64, BLOCK).newSequence("a", tenant("a", "team").cacheSalt(), tokens);

        assertThat(PrefixKeys.key(tokens, BLOCK, tenant("b", null), 4)).isNotEqualTo(engineSeq.hash(3));
        assertThat(PrefixKeys.key(tokens, BLOCK, tenant("b", "team"), 4)).isEqualTo(engineSeq.hash(3));
    }

    @Test
    void prefixKey_promptShorterThanABlock_hasNoKey() {
        assertThat(PrefixKeys.key(prompt(BLOCK - 1), BLOCK, tenant("a", null), 4)).isNull();
    }
}
