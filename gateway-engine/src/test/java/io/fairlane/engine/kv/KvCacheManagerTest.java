package io.fairlane.engine.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class KvCacheManagerTest {

    private static final int BS = 16;

    private final KvCacheManager kv = new KvCacheManager(32, BS);

    private static int[] prompt(int length, int base) {
        return IntStream.range(0, length).map(i -> base + i).toArray();
    }

    /** Prefills the whole sequence in one step, as the engine would, and marks it computed. */
    private KvSequence prefill(int[] tokens, String salt) {
        KvSequence seq = kv.newSequence("tenant-" + salt, salt, tokens);
        int scheduled = kv.allocatePrefill(seq, Integer.MAX_VALUE);
        assertThat(scheduled).isPositive();
        kv.commitComputed(seq, scheduled);
        return seq;
    }

    @Test
    void allocatePrefill_emptyCache_computesWholePrompt() {
        KvSequence seq = kv.newSequence("a", "a", prompt(40, 0));
        assertThat(kv.allocatePrefill(seq, 1000)).isEqualTo(40);
    }

    @Test
    void allocatePrefill_samePromptAfterFinish_reusesFullBlocks() {
        kv.free(prefill(prompt(40, 0), "a"));
        KvSequence again = kv.newSequence("a", "a", prompt(40, 0));
        assertThat(kv.allocatePrefill(again, 1000)).isEqualTo(40 - 32);
    }

    @Test
    void allocatePrefill_promptOfWholeBlocks_recomputesLastBlock() {
        kv.free(prefill(prompt(32, 0), "a"));
        KvSequence again = kv.newSequence("a", "a", prompt(32, 0));
        kv.allocatePrefill(again, 1000);
        assertThat(again.computedTokens()).isEqualTo(16);
    }

    @Test
    void allocatePrefill_otherSalt_hitsNothing() {
        kv.free(prefill(prompt(40, 0), "a"));
        KvSequence other = kv.newSequence("b", "b", prompt(40, 0));
        assertThat(kv.allocatePrefill(other, 1000)).isEqualTo(40);
    }

    @Test
    void allocatePrefill_runningSequenceWithSamePrefix_sharesItsBlocks() {
        KvSequence first = prefill(prompt(40, 0), "a");
        KvSequence second = kv.newSequence("a", "a", prompt(40, 0));
        kv.allocatePrefill(second, 1000);
        assertThat(second.blockId(1)).isEqualTo(first.blockId(1));
    }

    @Test
    void allocatePrefill_partialBlock_isNeverCached() {
        kv.free(prefill(prompt(20, 0), "a"));
        KvSequence longer = kv.newSequence("a", "a", prompt(40, 0));
        kv.allocatePrefill(longer, 1000);
        assertThat(longer.computedTokens()).isEqualTo(16);
    }

    @Test
    void allocatePrefill_budgetSmallerThanPrompt_schedulesAChunk() {
        KvSequence seq = kv.newSequence("a", "a", prompt(40, 0));
        assertThat(kv.allocatePrefill(seq, 10)).isEqualTo(10);
    }

    @Test
    void allocatePrefill_poolTooSmall_answersNoRoomAndChangesNothing() {
        KvCacheManager small = new KvCacheManager(2, BS);
        KvSequence seq = small.newSequence("a", "a", prompt(40, 0));
        assertThat(small.allocatePrefill(seq, 1000)).isEqualTo(KvCacheManager.NO_ROOM);
        assertThat(small.freeBlocks()).isEqualTo(2);
    }

    @Test
    void allocatePrefill_hitOnFreeBlocks_countsThemAgainstRoom() {
        KvCacheManager small = new KvCacheManager(3, BS);
        KvSequence first = small.newSequence("a", "a", prompt(40, 0));
        small.commitComputed(first, small.allocatePrefill(first, 1000));
        small.free(first);
        // 2 cached blocks sit in the free queue; taking them leaves 1 free block for the 8-token tail.
        KvSequence second = small.newSequence("a", "a", prompt(40, 0));
        assertThat(small.allocatePrefill(second, 1000)).isEqualTo(8);
    }

    @Test
    void allocateSlots_noFreeBlock_answersFalse() {
        KvCacheManager small = new KvCacheManager(1, BS);
        KvSequence seq = small.newSequence("a", "a", prompt(16, 0));
        small.commitComputed(seq, small.allocatePrefill(seq, 1000));
        seq.appendToken(7);
        assertThat(small.allocateSlots(seq, 1)).isFalse();
    }

    @Test
    void allocateSlots_moreTokensThanTheSequenceHas_isRefused() {
        KvSequence seq = prefill(prompt(10, 0), "a");
        assertThatThrownBy(() -> kv.allocateSlots(seq, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void commitComputed_decodedBlocks_areCachedForTheNextTurn() {
        KvSequence seq = prefill(prompt(10, 0), "a");
        for (int t = 0; t < 30; t++) {
            seq.appendToken(500 + t);
            assertThat(kv.allocateSlots(seq, 1)).isTrue();
            kv.commitComputed(seq, 1);
        }
        int[] nextTurn = java.util.Arrays.copyOf(seq.tokens(), 60);
        kv.free(seq);
        KvSequence follow = kv.newSequence("a", "a", nextTurn);
        kv.allocatePrefill(follow, 1000);
        assertThat(follow.computedTokens()).isEqualTo(32);
    }

    @Test
    void free_finishedSequence_evictsDeepestBlockFirst() {
        KvCacheManager small = new KvCacheManager(3, BS);
        KvSequence seq = small.newSequence("a", "a", prompt(48, 0));
        small.commitComputed(seq, small.allocatePrefill(seq, 1000));
        int deepest = seq.blockId(2);
        small.free(seq);
        assertThat(small.pool().peekFirstFree().id).isEqualTo(deepest);
    }

    @Test
    void free_twoSequences_queuesEarlierFreedNearerEviction() {
        KvSequence older = prefill(prompt(16, 0), "a");
        KvSequence newer = prefill(prompt(16, 100), "a");
        int olderBlock = older.blockId(0);
        int newerBlock = newer.blockId(0);
        kv.free(older);
        kv.free(newer);
        java.util.List<Integer> order = new java.util.ArrayList<>();
        kv.pool().forEachFree(b -> order.add(b.id));
        assertThat(order.indexOf(olderBlock)).isLessThan(order.indexOf(newerBlock));
    }

    @Test
    void allocatePrefill_hitOnFreedBlock_pullsItOutOfTheFreeQueue() {
        kv.free(prefill(prompt(40, 0), "a"));
        int freeBefore = kv.freeBlocks();
        KvSequence again = kv.newSequence("a", "a", prompt(40, 0));
        kv.allocatePrefill(again, 1000);
        // 2 hit blocks left the queue and 1 new block was taken for the 8-token tail.
        assertThat(kv.freeBlocks()).isEqualTo(freeBefore - 3);
    }

    @Test
    void fork_partialLastBlock_copiesOnFirstWriteOnly() {
        KvSequence parent = prefill(prompt(20, 0), "a");
        KvSequence child = kv.fork(parent);
        parent.appendToken(1);
        child.appendToken(2);
        kv.allocateSlots(parent, 1);
        kv.allocateSlots(child, 1);
        assertThat(kv.drainPendingCopies()).hasSize(1);
    }

    @Test
    void fork_fullBlocks_stayShared() {
        KvSequence parent = prefill(prompt(20, 0), "a");
        KvSequence child = kv.fork(parent);
        child.appendToken(2);
        kv.allocateSlots(child, 1);
        assertThat(child.blockId(0)).isEqualTo(parent.blockId(0));
    }

    @Test
    void fork_blockAlignedPrompt_needsNoCopy() {
        KvSequence parent = prefill(prompt(32, 0), "a");
        KvSequence child = kv.fork(parent);
        parent.appendToken(1);
        child.appendToken(2);
        kv.allocateSlots(parent, 1);
        kv.allocateSlots(child, 1);
        assertThat(kv.drainPendingCopies()).isEmpty();
    }

    @Test
    void free_copyTargetFreedBeforeTheStep_dropsTheCopy() {
        KvSequence parent = prefill(prompt(20, 0), "a");
        KvSequence child = kv.fork(parent);
        child.appendToken(2);
        kv.allocateSlots(child, 1);
        kv.free(child);
        assertThat(kv.drainPendingCopies()).isEmpty();
    }

    @Test
    void tenantStats_afterHit_countsQueryAndHitTokens() {
        kv.free(prefill(prompt(40, 0), "a"));
        prefill(prompt(40, 0), "a");
        assertThat(kv.tenantStats().get("tenant-a")).isEqualTo(new TenantKvStats(80, 32, 3));
    }

    @Test
    void tenantStats_forkedSequences_countSharedBlocksOnce() {
        KvSequence parent = prefill(prompt(40, 0), "a");
        kv.fork(parent);
        assertThat(kv.tenantStats().get("tenant-a").blocksHeld()).isEqualTo(3);
    }

    @Test
    void free_everything_returnsPoolToFullSize() {
        KvSequence a = prefill(prompt(40, 0), "a");
        KvSequence b = kv.fork(a);
        KvSequence c = prefill(prompt(40, 0), "a");
        kv.free(a);
        kv.free(b);
        kv.free(c);
        assertThat(kv.freeBlocks()).isEqualTo(kv.totalBlocks());
    }

    @Test
    void toString_ofSequenceAndManager_printsNoTokenIds() {
        KvSequence seq = prefill(new int[] {987_654, 987_655}, "a");
        assertThat(seq + " " + kv).doesNotContain("987");
    }

    @Test
    void exclusiveBlocks_forkedSequence_countsOnlyUnsharedBlocks() {
        KvSequence parent = prefill(prompt(40, 0), "a");
        KvSequence child = kv.fork(parent);
        child.appendToken(5);
        kv.allocateSlots(child, 1); // copies the shared partial block: one block of its own
        assertThat(kv.exclusiveBlocks(child)).isEqualTo(1);
    }

    /**
     * A 31-token prompt prefilled and its first token sampled by a step whose output is still in flight: the
     * placeholder fills position 31, the last of the second block, and a decode of it is committed (the loop records
     * a submitted step before it ran).
     */
    private KvSequence decodeOfAPlaceholder() {
        KvSequence seq = prefill(prompt(31, 0), "a");
        seq.appendPending();
        kv.allocateSlots(seq, 1);
        kv.commitComputed(seq, 1);
        return seq;
    }

    @Test
    void commitComputed_blockCompletedByAPlaceholder_notIndexedUntilItsIdIsKnown() {
        decodeOfAPlaceholder();
        KvSequence probe = kv.newSequence("a", "a", prompt(40, 0));
        assertThat(kv.cachedPrefixTokens(probe)).isEqualTo(16);
    }

    @Test
    void commitComputed_afterThePlaceholderIsResolved_indexesTheBlock() {
        KvSequence seq = decodeOfAPlaceholder();
        seq.resolvePending(31);
        kv.commitComputed(seq, 0);
        KvSequence probe = kv.newSequence("a", "a", prompt(40, 0));
        assertThat(kv.cachedPrefixTokens(probe)).isEqualTo(32);
    }

    @Test
    void acceptSampled_withAPlaceholder_fillsItInsteadOfAppending() {
        KvSequence seq = kv.newSequence("a", "a", prompt(5, 0));
        seq.appendPending();
        seq.acceptSampled(42);
        assertThat(seq.tokens()).endsWith(4, 42).hasSize(6);
    }

    @Test
    void allocatePrefill_sequenceEndingInAPlaceholder_isRefused() {
        KvSequence seq = kv.newSequence("a", "a", prompt(5, 0));
        seq.appendPending();
        assertThatThrownBy(() -> kv.allocatePrefill(seq, 100)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void knownLength_withAPlaceholder_excludesIt() {
        KvSequence seq = kv.newSequence("a", "a", prompt(5, 0));
        seq.appendPending();
        assertThat(java.util.List.of(seq.length(), seq.knownLength())).containsExactly(6, 5);
    }
}
