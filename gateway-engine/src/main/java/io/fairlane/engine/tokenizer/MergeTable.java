package io.fairlane.engine.tokenizer;

/**
 * The BPE merge rules as an open-addressing hash table from a pair of token ids to the merge's rank and the
 * id of the merged token. Keys are the two ids packed into one long, so a lookup allocates nothing: this
 * table is hit once for every adjacent pair of every word encoded. Immutable after construction, so it is
 * safe to share between threads.
 */
final class MergeTable {

    private static final long EMPTY = -1L;

    private final long[] keys;
    private final int[] ranks;
    private final int[] mergedIds;
    private final int mask;
    private int size;

    MergeTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[capacity];
        java.util.Arrays.fill(keys, EMPTY);
        ranks = new int[capacity];
        mergedIds = new int[capacity];
        mask = capacity - 1;
    }

    static long pair(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /** Adds a rule unless the pair already has one (the first, lowest-ranked rule wins, as in HF). */
    void put(int left, int right, int rank, int mergedId) {
        long key = pair(left, right);
        int slot = slot(key);
        while (keys[slot] != EMPTY) {
            if (keys[slot] == key) {
                return;
            }
            slot = (slot + 1) & mask;
        }
        keys[slot] = key;
        ranks[slot] = rank;
        mergedIds[slot] = mergedId;
        size++;
        if (size * 2 > keys.length) {
            throw new IllegalStateException("merge table sized for fewer rules than were added");
        }
    }

    /** The slot holding the pair's rule, or -1 when the pair does not merge. */
    int find(int left, int right) {
        long key = pair(left, right);
        int slot = slot(key);
        while (true) {
            long k = keys[slot];
            if (k == key) {
                return slot;
            }
            if (k == EMPTY) {
                return -1;
            }
            slot = (slot + 1) & mask;
        }
    }

    int rankAt(int slot) {
        return ranks[slot];
    }

    int mergedIdAt(int slot) {
        return mergedIds[slot];
    }

    int size() {
        return size;
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }
}
