package io.fairlane.engine.grammar;

/**
 * What one grammar state decides about the vocabulary without looking at the stack below it: the tokens it
 * accepts outright (context-independent), and the trie nodes where the state's rule may end with bytes of the
 * token still to read, whose subtrees must be walked against the actual stack at run time (context-dependent).
 * Every other token is rejected. This is XGrammar's adaptive token-mask cache (REFERENCES.md): the accepted set
 * is kept as a list of accepted ids, a list of rejected ids or a bitset, whichever is smallest.
 *
 * <p>Immutable and thread-safe.
 */
final class StateMask {

    static final int ACCEPTED = 0;
    static final int REJECTED = 1;
    static final int BITSET = 2;
    static final int DERIVED = 3;

    final int form;
    /** Accepted ids (ACCEPTED), or text tokens not accepted (REJECTED), or ids to clear from bits (DERIVED). */
    final int[] ids;
    /** The accepted set (BITSET), or a shared superset (DERIVED), else null. */
    final long[] bits;
    /** Ids to set besides bits (DERIVED), else null. */
    final int[] extra;
    final int accepted;
    /** Trie nodes after which the rule may end: continue through the caller at run time. */
    final int[] dependent;

    private StateMask(int form, int[] ids, long[] bits, int accepted, int[] dependent) {
        this(form, ids, bits, null, accepted, dependent);
    }

    private StateMask(int form, int[] ids, long[] bits, int[] extra, int accepted, int[] dependent) {
        this.form = form;
        this.ids = ids;
        this.bits = bits;
        this.extra = extra;
        this.accepted = accepted;
        this.dependent = dependent;
    }

    /** The accepted set as a list of ids (any order). */
    static StateMask accepting(int[] ids, int[] dependent) {
        return new StateMask(ACCEPTED, ids, null, ids.length, dependent);
    }

    /**
     * The accepted set as a shared bitset less {@code clear} plus {@code set}: the masks of a counted string's
     * states share the unbounded string's bitset and differ by the few tokens too long for what is left.
     */
    static StateMask derived(long[] shared, int[] clear, int[] set, int accepted, int[] dependent) {
        return new StateMask(DERIVED, clear, shared, set, accepted, dependent);
    }

    /** Picks the smallest form for the accepted set given as a bitset ({@code count} bits set; may be kept). */
    static StateMask ofBits(long[] accepted, int count, int[] dependent, TokenTrie trie) {
        int rejected = trie.textTokenCount - count;
        long bitsetBytes = 8L * trie.textTokens.length;
        if (4L * count <= bitsetBytes && count <= rejected) {
            int[] ids = new int[count];
            int n = 0;
            for (int w = 0; w < accepted.length; w++) {
                long word = accepted[w];
                while (word != 0) {
                    ids[n++] = (w << 6) + Long.numberOfTrailingZeros(word);
                    word &= word - 1;
                }
            }
            return new StateMask(ACCEPTED, ids, null, count, dependent);
        }
        if (4L * rejected <= bitsetBytes) {
            int[] ids = new int[rejected];
            int n = 0;
            long[] text = trie.textTokens;
            for (int w = 0; w < text.length; w++) {
                long word = text[w] & ~accepted[w];
                while (word != 0) {
                    ids[n++] = (w << 6) + Long.numberOfTrailingZeros(word);
                    word &= word - 1;
                }
            }
            return new StateMask(REJECTED, ids, null, count, dependent);
        }
        return new StateMask(BITSET, null, accepted, count, dependent);
    }

    /** Sets the accepted tokens' bits in {@code out}, which holds only zeros when {@code fresh}. */
    void applyTo(long[] out, boolean fresh, TokenTrie trie) {
        switch (form) {
            case ACCEPTED -> {
                for (int id : ids) {
                    out[id >>> 6] |= 1L << id;
                }
            }
            case BITSET -> {
                for (int w = 0; w < bits.length; w++) {
                    out[w] |= bits[w];
                }
            }
            case DERIVED -> {
                long[] mine = fresh ? out : new long[bits.length];
                System.arraycopy(bits, 0, mine, 0, bits.length);
                for (int id : ids) {
                    mine[id >>> 6] &= ~(1L << id);
                }
                for (int id : extra) {
                    mine[id >>> 6] |= 1L << id;
                }
                if (!fresh) {
                    for (int w = 0; w < mine.length; w++) {
                        out[w] |= mine[w];
                    }
                }
            }
            default -> {
                if (fresh) {
                    System.arraycopy(trie.textTokens, 0, out, 0, trie.textTokens.length);
                    for (int id : ids) {
                        out[id >>> 6] &= ~(1L << id);
                    }
                } else {
                    long[] mine = trie.textTokens.clone();
                    for (int id : ids) {
                        mine[id >>> 6] &= ~(1L << id);
                    }
                    for (int w = 0; w < mine.length; w++) {
                        out[w] |= mine[w];
                    }
                }
            }
        }
    }

    /** Bytes held, for statistics. */
    long bytes() {
        return (ids == null ? 0 : 4L * ids.length) + (bits == null || form == DERIVED ? 0 : 8L * bits.length)
                + (extra == null ? 0 : 4L * extra.length) + 4L * dependent.length;
    }

    @Override
    public String toString() {
        return "StateMask[" + switch (form) {
            case ACCEPTED -> "accepted list";
            case REJECTED -> "rejected list";
            case DERIVED -> "derived";
            default -> "bitset";
        } + ", " + accepted + " accepted, " + dependent.length + " dependent nodes]";
    }
}
