package io.fairlane.engine.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BlockHasherTest {

    private static final int[] TOKENS = IntStream.range(0, 40).toArray();

    @Test
    void hashFullBlocks_partialTail_hashesOnlyFullBlocks() {
        assertThat(BlockHasher.hashFullBlocks(TOKENS, 40, 16, "t")).hasSize(2);
    }

    @Test
    void hashFullBlocks_sameTokensAndSalt_sameHashes() {
        assertThat(BlockHasher.hashFullBlocks(TOKENS, 40, 16, "t"))
                .containsExactly(BlockHasher.hashFullBlocks(TOKENS.clone(), 40, 16, "t"));
    }

    @Test
    void hashFullBlocks_otherSalt_differsFromFirstBlockOn() {
        BlockHash[] a = BlockHasher.hashFullBlocks(TOKENS, 40, 16, "tenant-a");
        BlockHash[] b = BlockHasher.hashFullBlocks(TOKENS, 40, 16, "tenant-b");
        assertThat(a[0]).isNotEqualTo(b[0]);
        assertThat(a[1]).isNotEqualTo(b[1]);
    }

    @Test
    void hashFullBlocks_changedFirstBlock_changesEveryLaterHash() {
        int[] other = TOKENS.clone();
        other[3] = 999;
        assertThat(BlockHasher.hashFullBlocks(other, 40, 16, "t")[1])
                .isNotEqualTo(BlockHasher.hashFullBlocks(TOKENS, 40, 16, "t")[1]);
    }

    @Test
    void hashFullBlocks_changedSecondBlock_keepsFirstHash() {
        int[] other = TOKENS.clone();
        other[20] = 999;
        assertThat(BlockHasher.hashFullBlocks(other, 40, 16, "t")[0])
                .isEqualTo(BlockHasher.hashFullBlocks(TOKENS, 40, 16, "t")[0]);
    }

    @Test
    void hashFullBlocks_zeroBlockSize_isRefused() {
        assertThatThrownBy(() -> BlockHasher.hashFullBlocks(TOKENS, 40, 0, "t"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blockSize");
    }

    @Test
    void toString_showsOnlyAShortPrefix() {
        assertThat(BlockHasher.hashFullBlocks(TOKENS, 16, 16, "t")[0].toString()).hasSize("BlockHash[]".length() + 8);
    }
}
