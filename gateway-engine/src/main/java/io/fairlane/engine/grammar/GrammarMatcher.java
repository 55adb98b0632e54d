package io.fairlane.engine.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Where one output stands in a {@link Grammar}: the set of stacks the bytes so far can have led to (usually one),
 * and the token masks that follow from it. {@link #fillAllowed} is the per-step mask: for each stack the top
 * state's precomputed {@link StateMask}, plus a walk of the trie nodes it left to run time through the states
 * below the top; nothing per token of the vocabulary.
 *
 * <p>At most {@value #MAX_STACKS} stacks are kept; should an ambiguous grammar produce more, the surplus is
 * dropped, which can only narrow what is allowed, never admit an invalid output.
 *
 * <p>Mutable; confined to one thread at a time (the engine loop, or a backend worker while the loop waits).
 */
public final class GrammarMatcher {

    static final int MAX_STACKS = 64;

    private final Grammar grammar;
    private final TokenMasks masks;
    private final TokenTrie trie;
    private List<int[]> stacks;

    public GrammarMatcher(Grammar grammar, VocabularyIndex vocabulary) {
        this.grammar = Objects.requireNonNull(grammar, "grammar");
        this.masks = vocabulary.masks(grammar);
        this.trie = vocabulary.trie;
        this.stacks = new ArrayList<>(1);
        stacks.add(Stacks.normalise(grammar, new int[] {grammar.ruleStart[0]}));
    }

    /** Whether the bytes read so far are a complete sentence (EOS may come now). */
    public boolean complete() {
        for (int[] s : stacks) {
            if (Stacks.complete(grammar, s)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the sentence so far can continue with {@code bytes[from..]}; changes nothing. */
    public boolean accepts(byte[] bytes, int from) {
        return run(bytes, from) != null;
    }

    /** Reads {@code bytes[from..]}: false, changing nothing, when no sentence continues this way. */
    public boolean advance(byte[] bytes, int from) {
        List<int[]> next = run(bytes, from);
        if (next == null) {
            return false;
        }
        stacks = next;
        return true;
    }

    private List<int[]> run(byte[] bytes, int from) {
        List<int[]> current = stacks;
        for (int i = from; i < bytes.length; i++) {
            List<int[]> next = new ArrayList<>(current.size());
            Stacks.stepAll(grammar, current, bytes[i] & 0xFF, next);
            if (next.isEmpty()) {
                return null;
            }
            if (next.size() > MAX_STACKS) {
                next = new ArrayList<>(next.subList(0, MAX_STACKS));
            }
            current = next;
        }
        return current;
    }

    /**
     * Sets in {@code bits} (a bitset over the vocabulary, {@link VocabularyIndex#words()} long) exactly the
     * tokens whose bytes may come next; EOS and other byte-less ids are left clear. Returns how many are set.
     */
    public int fillAllowed(long[] bits) {
        Arrays.fill(bits, 0L);
        boolean fresh = true;
        for (int[] stack : stacks) {
            StateMask m = masks.get(stack[stack.length - 1]);
            m.applyTo(bits, fresh, trie);
            fresh = false;
            if (m.dependent.length > 0 && stack.length > 1) {
                continueBelow(stack, m.dependent, bits);
            }
        }
        int n = 0;
        for (long w : bits) {
            n += Long.bitCount(w);
        }
        return n;
    }

    /** The tokens that end the top rule at one of {@code nodes} and go on through the stack below it. */
    private void continueBelow(int[] stack, int[] nodes, long[] bits) {
        List<int[]> parent = new ArrayList<>(1);
        parent.add(Arrays.copyOf(stack, stack.length - 1));
        @SuppressWarnings("unchecked")
        List<int[]>[] afterByte = new List[256];
        for (int node : nodes) {
            int first = trie.childStart[node];
            for (int c = first, end = first + trie.childCount[node]; c < end; c++) {
                int b = trie.label[c] & 0xFF;
                List<int[]> next = afterByte[b];
                if (next == null) {
                    next = new ArrayList<>(1);
                    Stacks.stepAll(grammar, parent, b, next);
                    afterByte[b] = next;
                }
                if (!next.isEmpty()) {
                    walk(c, next, bits);
                }
            }
        }
    }

    private void walk(int node, List<int[]> stacks, long[] bits) {
        for (int i = trie.rangeLo[node], end = trie.ownHi[node]; i < end; i++) {
            int id = trie.order[i];
            bits[id >>> 6] |= 1L << id;
        }
        int first = trie.childStart[node];
        for (int c = first, end = first + trie.childCount[node]; c < end; c++) {
            List<int[]> next = new ArrayList<>(stacks.size());
            Stacks.stepAll(grammar, stacks, trie.label[c] & 0xFF, next);
            if (!next.isEmpty()) {
                walk(c, next.size() > MAX_STACKS ? next.subList(0, MAX_STACKS) : next, bits);
            }
        }
    }

    /** Number of live stacks (1 unless the grammar is ambiguous here). */
    int stacks() {
        return stacks.size();
    }

    /** The deepest live stack's depth. */
    int depth() {
        int d = 0;
        for (int[] s : stacks) {
            d = Math.max(d, s.length);
        }
        return d;
    }

    @Override
    public String toString() {
        return "GrammarMatcher[" + stacks.size() + " stacks, depth " + depth() + "]";
    }
}
