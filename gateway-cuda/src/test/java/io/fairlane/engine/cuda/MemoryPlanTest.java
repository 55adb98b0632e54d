package io.fairlane.engine.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MemoryPlanTest {

    private static final long GIB = 1L << 30;
    private static final long MIB = 1L << 20;

    @Test
    void plan_freeMemoryFraction_givesTheRestToKvBlocks() {
        MemoryPlan p = MemoryPlan.plan(80 * GIB, 80 * GIB, 0.9, 16 * GIB, 2 * GIB, 2 * MIB, 16, 0, 100);
        long expectedKv = (long) (80 * GIB * 0.9) - 16 * GIB - 2 * GIB - MemoryPlan.RESERVE_BYTES;
        assertThat(p.kvBlocks()).isEqualTo((int) (expectedKv / (2 * MIB)));
    }

    @Test
    void plan_fixedKvSize_usesExactlyThat() {
        MemoryPlan p = MemoryPlan.plan(80 * GIB, 80 * GIB, 0.9, 16 * GIB, 2 * GIB, 2 * MIB, 16, 10 * GIB, 100);
        assertThat(p.kvBytes()).isEqualTo(10 * GIB);
    }

    @Test
    void plan_fixedKvSizeTooLarge_refusesSayingWhatIsLeft() {
        assertThatThrownBy(() -> MemoryPlan.plan(24 * GIB, 24 * GIB, 0.9, 16 * GIB, 2 * GIB, 2 * MIB, 16, 10 * GIB, 1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("configured KV cache of 10240 MiB does not fit");
    }

    @Test
    void plan_modelLargerThanBudget_refusesNamingTheWeights() {
        assertThatThrownBy(() -> MemoryPlan.plan(16 * GIB, 24 * GIB, 0.9, 16 * GIB, GIB, 2 * MIB, 16, 0, 10))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("16384 MiB weights")
                .hasMessageContaining("deviceMemoryFraction");
    }

    @Test
    void plan_tooFewBlocksLeft_refuses() {
        assertThatThrownBy(() -> MemoryPlan.plan(20 * GIB, 24 * GIB, 1.0, 18 * GIB, GIB, 64 * MIB, 16, 0, 100))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("at least 100 are needed");
    }

    @Test
    void plan_configuredSizeBelowOneBlock_refusesNamingTheConfiguredSize() {
        assertThatThrownBy(() -> MemoryPlan.plan(20 * GIB, 24 * GIB, 1.0, GIB, GIB, 64 * MIB, 16, MIB, 1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("configured KV cache of 1048576 bytes holds 0 blocks");
    }

    @Test
    void plan_fractionOutOfRange_isRejected() {
        assertThatThrownBy(() -> MemoryPlan.plan(GIB, GIB, 1.5, 0, 0, MIB, 16, 0, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void summary_mentionsBlocksAndTokens() {
        MemoryPlan p = MemoryPlan.plan(80 * GIB, 80 * GIB, 0.5, GIB, GIB, MIB, 16, 0, 1);
        assertThat(p.summary()).contains(p.kvBlocks() + " blocks of 16 tokens");
    }
}
