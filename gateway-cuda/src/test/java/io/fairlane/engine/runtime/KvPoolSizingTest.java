package io.fairlane.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fairlane.engine.EngineException;
import org.junit.jupiter.api.Test;

class KvPoolSizingTest {

    @Test
    void bytesPerBlock_llama110mInF32_isKAndVOfEveryLayer() {
        // 12 layers, 12 KV heads of 64, 16 tokens, 4 bytes: 2 * 12 * 12 * 64 * 16 * 4
        assertThat(KvPoolSizing.bytesPerBlock(12, 12, 64, 16, 4)).isEqualTo(1_179_648L);
    }

    @Test
    void blocks_configuredBytes_dividedByBlockSize() {
        assertThat(KvPoolSizing.blocks("m", 10_000, 1_000_000, 0.5, 100, 160, 16)).isEqualTo(100);
    }

    @Test
    void blocks_noConfiguredBytes_takesFractionOfFree() {
        assertThat(KvPoolSizing.blocks("m", 0, 1_000_000, 0.5, 100, 160, 16)).isEqualTo(5_000);
    }

    @Test
    void blocks_tooFewForOneFullContext_refusesWithReason() {
        assertThatThrownBy(() -> KvPoolSizing.blocks("m", 900, 1_000_000, 0.5, 100, 160, 16))
                .isInstanceOf(EngineException.class).hasMessageContaining("full context");
    }

    @Test
    void blocks_configuredMoreThanFree_refuses() {
        assertThatThrownBy(() -> KvPoolSizing.blocks("m", 2_000_000, 1_000_000, 0.5, 100, 160, 16))
                .isInstanceOf(EngineException.class).hasMessageContaining("exceeds");
    }
}
