package io.fairlane.engine.grammar;

import java.util.Arrays;

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

    final int form;
    /** Accepted ids (ACCEPTED), or text tokens not accepted (REJECTED), ascending; else null. */
    final int[] ids;
    /** The accepted set (BITSET), else null. */
    final long[] bits;
    final int accepted;
    /** Trie nodes after which the rule may end: continue through the caller at run time. */
    final int[] dependent;

    private StateMask(int form, int[] ids, long[] bits, int accepted, int[] dependent) {
        this.form = form;
        this.ids = ids;
        this.bits = bits;
        this.accepted = accepted;
        this.dependent = dependent;
    }

    /** Picks the smallest form for {@code acceptedIds} (ascending) out of the trie's text tokens. */
    static StateMask of(int[] acceptedIds, int[] dependent, TokenTrie trie) {
        int a = acceptedIds.length;
        int rejected = trie.textTokenCount - a;
        long bitsetBytes = 8L * trie.textTokens.length;
        if (4L * a <= bitsetBytes && a <= rejected) {
            return new StateMask(ACCEPTED, acceptedIds, null, a, dependent);
        }
        if (4L * rejected <= bitsetBytes) {
            int[] out = new int[rejected];
            int n = 0;
            int k = 0;
            long[] text = trie.textTokens;
            for (int w = 0; w < text.length; w++) {
                long word = text[w];
                while (word != 0) {
                    int id = (w << 6) + Long.numberOfTrailingZeros(word);
                    word &= word - 1;
                    if (k < a && acceptedIds[k] == id) {
                        k++;
                    } else {
                        out[n++] = id;
                    }
                }
            }
            return new StateMask(REJECTED, out, null, a, dependent);
        }
        long[] bits = new long[trie.textTokens.length];
        for (int id : acceptedIds) {
            bits[id >>> 6] |= 1L << id;
        }
        return new StateMask(BITSET, null, bits, a, dependent);
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
        return (ids == null ? 0 : 4L * ids.length) + (bits == null ? 0 : 8L * bits.length) + 4L * dependent.length;
    }

    @Override
    public String toString() {
        return "StateMask[" + switch (form) {
            case ACCEPTED -> "accepted list";
            case REJECTED -> "rejected list";
            default -> "bitset";
        } + ", " + accepted + " accepted, " + dependent.length + " dependent nodes]";
    }

    static int[] sorted(int[] ids, int n) {
        int[] out = Arrays.copyOf(ids, n);
        Arrays.sort(out);
        return out;
    }
}
