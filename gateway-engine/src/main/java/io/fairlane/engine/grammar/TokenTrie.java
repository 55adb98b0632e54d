package io.fairlane.engine.grammar;

import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * The vocabulary's tokens as a trie over their bytes, built once per vocabulary. Tokens are sorted by their bytes,
 * so every node's subtree is a contiguous range of that order, and the tokens spelled exactly by a node come
 * first in its range. Walking the trie with an automaton decides all tokens sharing a prefix at once and drops a
 * whole subtree at the first byte the automaton refuses, which is what makes computing a state's mask over a
 * 150k-token vocabulary cost a fraction of trying every token.
 *
 * <p>Tokens with no bytes (special tokens, EOS, ids the tokenizer does not know) are not in the trie.
 *
 * <p>Immutable and thread-safe.
 */
final class TokenTrie {

    static final int ROOT = 0;

    final int vocabulary;        // ids are 0..vocabulary-1
    final int[] order;           // token ids sorted by bytes
    final int[] rangeLo;         // per node: its subtree's range in order
    final int[] rangeHi;
    final int[] ownHi;           // per node: [rangeLo, ownHi) spell exactly this node
    final int[] childStart;      // per node: its children are nodes childStart..childStart+childCount-1
    final int[] childCount;
    final byte[] label;          // per node: the byte leading to it
    /** Bit i set: token i has bytes (may be allowed as text). */
    final long[] textTokens;
    final int textTokenCount;

    private TokenTrie(int vocabulary, int[] order, int[] rangeLo, int[] rangeHi, int[] ownHi, int[] childStart,
                      int[] childCount, byte[] label, long[] textTokens, int textTokenCount) {
        this.vocabulary = vocabulary;
        this.order = order;
        this.rangeLo = rangeLo;
        this.rangeHi = rangeHi;
        this.ownHi = ownHi;
        this.childStart = childStart;
        this.childCount = childCount;
        this.label = label;
        this.textTokens = textTokens;
        this.textTokenCount = textTokenCount;
    }

    int nodes() {
        return rangeLo.length;
    }

    static TokenTrie build(int vocabulary, IntFunction<byte[]> bytes) {
        Integer[] ids = new Integer[vocabulary];
        int n = 0;
        long[] text = new long[(vocabulary + 63) >>> 6];
        for (int id = 0; id < vocabulary; id++) {
            byte[] b = bytes.apply(id);
            if (b != null && b.length > 0) {
                ids[n++] = id;
                text[id >>> 6] |= 1L << id;
            }
        }
        Integer[] sorted = Arrays.copyOf(ids, n);
        Arrays.sort(sorted, (a, b) -> Arrays.compareUnsigned(bytes.apply(a), bytes.apply(b)));
        int[] order = new int[n];
        byte[][] tb = new byte[n][];
        for (int i = 0; i < n; i++) {
            order[i] = sorted[i];
            tb[i] = bytes.apply(sorted[i]);
        }
        Builder b = new Builder(tb);
        b.node(0, n, 0, (byte) 0);
        return new TokenTrie(vocabulary, order, b.trim(b.rangeLo), b.trim(b.rangeHi), b.trim(b.ownHi),
                b.trim(b.childStart), b.trim(b.childCount), Arrays.copyOf(b.label, b.size), text, n);
    }

    /** Lays nodes out breadth-first per parent, so that each node's children are contiguous. */
    private static final class Builder {
        final byte[][] tokens;
        int size;
        int[] rangeLo = new int[1024];
        int[] rangeHi = new int[1024];
        int[] ownHi = new int[1024];
        int[] childStart = new int[1024];
        int[] childCount = new int[1024];
        byte[] label = new byte[1024];

        Builder(byte[][] tokens) {
            this.tokens = tokens;
        }

        int[] trim(int[] a) {
            return Arrays.copyOf(a, size);
        }

        private int alloc(int lo, int hi, byte b) {
            if (size == rangeLo.length) {
                int cap = size * 2;
                rangeLo = Arrays.copyOf(rangeLo, cap);
                rangeHi = Arrays.copyOf(rangeHi, cap);
                ownHi = Arrays.copyOf(ownHi, cap);
                childStart = Arrays.copyOf(childStart, cap);
                childCount = Arrays.copyOf(childCount, cap);
                label = Arrays.copyOf(label, cap);
            }
            rangeLo[size] = lo;
            rangeHi[size] = hi;
            label[size] = b;
            return size++;
        }

        /** Creates the root, then fills children level by level with an explicit work list. */
        void node(int lo, int hi, int d, byte b) {
            int root = alloc(lo, hi, b);
            int[] work = {root};
            int[] workDepth = {d};
            int count = 1;
            while (count > 0) {
                int node = work[--count];
                int nd = workDepth[count];
                int at = rangeLo[node];
                int end = rangeHi[node];
                while (at < end && tokens[at].length == nd) {
                    at++;
                }
                ownHi[node] = at;
                childStart[node] = size;
                int children = 0;
                int first = size;
                while (at < end) {
                    byte c = tokens[at][nd];
                    int to = at;
                    while (to < end && tokens[to][nd] == c) {
                        to++;
                    }
                    alloc(at, to, c);
                    children++;
                    at = to;
                }
                childCount[node] = children;
                if (count + children > work.length) {
                    work = Arrays.copyOf(work, (count + children) * 2);
                    workDepth = Arrays.copyOf(workDepth, (count + children) * 2);
                }
                for (int i = children - 1; i >= 0; i--) {
                    work[count] = first + i;
                    workDepth[count] = nd + 1;
                    count++;
                }
            }
        }
    }
}
