package io.fairlane.engine.grammar;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The token masks of one grammar over one vocabulary, computed per state the first time a matcher stands in it
 * and kept for every later request with the same grammar (or, for lexeme rules, any grammar with the same
 * lexeme). A state's mask comes from one walk of the {@link TokenTrie} with the state as the only stack entry:
 * a token is accepted when some way through the grammar reads all its bytes without returning below that entry,
 * rejected when every way fails before that, and left to run time when the state's rule may end with bytes of
 * the token still unread. Those tokens are never listed: the walk records the trie node where the rule may end,
 * and {@link GrammarMatcher} continues from there through the caller, so a number's end (where nearly every
 * token could follow) costs a walk of the few subtrees its caller allows, not a check of every token.
 *
 * <p>A string with length bounds only is the unbounded string with a character counter, and its automaton has a
 * state per (count, position in a character): hundreds of states, each of which would need a walk of the whole
 * trie. Instead each such state is paired with the unbounded string's state it shadows and the count so far,
 * the unbounded string's few states are walked once per vocabulary recording how many characters each token
 * starts, and a counted state's mask keeps the tokens that fit the characters left ({@link CountedWalk}).
 *
 * <p>Thread-safe: racing computations of one state produce equal masks and either may win.
 */
final class TokenMasks {

    private final Grammar grammar;
    private final VocabularyIndex index;
    private final TokenTrie trie;
    private final AtomicReferenceArray<StateMask> own;
    private final AtomicReferenceArray<StateMask>[] lexemes;

    @SuppressWarnings("unchecked")
    TokenMasks(Grammar grammar, VocabularyIndex index) {
        this.grammar = grammar;
        this.index = index;
        this.trie = index.trie;
        this.own = new AtomicReferenceArray<>(grammar.states());
        this.lexemes = new AtomicReferenceArray[grammar.rules()];
        for (int r = 0; r < grammar.rules(); r++) {
            if (grammar.ruleKey[r] != null) {
                lexemes[r] = index.lexeme(grammar.ruleKey[r], grammar.ruleEnd[r] - grammar.ruleStart[r]);
            }
        }
    }

    TokenTrie trie() {
        return trie;
    }

    StateMask get(int state) {
        int rule = grammar.ruleOf[state];
        AtomicReferenceArray<StateMask> shared = lexemes[rule];
        AtomicReferenceArray<StateMask> table = shared != null ? shared : own;
        int slot = shared != null ? state - grammar.ruleStart[rule] : state;
        StateMask m = table.get(slot);
        if (m == null) {
            m = grammar.countedBase[rule] >= 0 ? counted(state, rule) : null;
            if (m == null) {
                m = compute(state);
            }
            table.set(slot, m);
        }
        return m;
    }

    // ---- strings with length bounds

    /**
     * What one walk from a state of the unbounded string records: the tokens read entirely inside the string,
     * ordered by how many characters they start; the tokens that end with the closing quote, and the trie nodes
     * after which the string has closed with bytes still to read, each with the characters started before.
     */
    record CountedWalk(int[] inside, int[] insideAtMost, int[] closing, int[] closingChars, int[] after,
                       int[] afterChars, long[][] bits) {

        CountedWalk(int[] inside, int[] insideAtMost, int[] closing, int[] closingChars, int[] after,
                    int[] afterChars) {
            this(inside, insideAtMost, closing, closingChars, after, afterChars, new long[1][]);
        }

        /** Every inside token as a bitset, built once (racing builds are equal). */
        long[] insideBits(TokenTrie trie) {
            long[] b = bits[0];
            if (b == null) {
                b = new long[trie.textTokens.length];
                for (int id : inside) {
                    b[id >>> 6] |= 1L << id;
                }
                bits[0] = b;
            }
            return b;
        }
    }

    /** The mask of a state of a counted string, or null when its automaton does not pair with the base's. */
    private StateMask counted(int state, int rule) {
        int base = grammar.countedBase[rule];
        int[] pairing = (int[]) index.derived("pairing|" + grammar.ruleKey[rule], () -> pair(rule, base));
        if (pairing.length == 0) {
            return null;
        }
        int local = state - grammar.ruleStart[rule];
        int baseState = pairing[2 * local];
        int chars = pairing[2 * local + 1];
        if (chars < 0) {
            return null; // the end state: nothing left to count, walked as any state
        }
        @SuppressWarnings("unchecked")
        AtomicReferenceArray<CountedWalk> walks = (AtomicReferenceArray<CountedWalk>) index.derived(
                "walks|" + grammar.ruleKey[base], () -> new AtomicReferenceArray<CountedWalk>(
                        grammar.ruleEnd[base] - grammar.ruleStart[base]));
        CountedWalk w = walks.get(baseState);
        if (w == null) {
            w = walkCounted(grammar.ruleStart[base] + baseState, grammar.ruleStart[base]);
            walks.set(baseState, w);
        }
        int min = grammar.countedMin[rule];
        int max = grammar.countedMax[rule];
        int left = max - chars;
        int n = w.inside().length;
        int upTo = left < 0 ? 0 : left >= w.insideAtMost().length ? n : w.insideAtMost()[left];
        int[] closing = new int[w.closing().length];
        int k = 0;
        for (int i = 0; i < w.closing().length; i++) {
            int total = chars + w.closingChars()[i];
            if (total >= min && total <= max) {
                closing[k++] = w.closing()[i];
            }
        }
        closing = Arrays.copyOf(closing, k);
        int[] dependent = new int[w.after().length];
        int d = 0;
        for (int i = 0; i < w.after().length; i++) {
            int total = chars + w.afterChars()[i];
            if (total >= min && total <= max) {
                dependent[d++] = w.after()[i];
            }
        }
        dependent = Arrays.copyOf(dependent, d);
        if (upTo <= n - upTo) {
            int[] ids = Arrays.copyOf(w.inside(), upTo + k);
            System.arraycopy(closing, 0, ids, upTo, k);
            return StateMask.accepting(ids, dependent);
        }
        return StateMask.derived(w.insideBits(trie), Arrays.copyOfRange(w.inside(), upTo, n), closing, upTo + k,
                dependent);
    }

    /**
     * Pairs each state of counted rule {@code rule} with the state of {@code base} reached by the same bytes and
     * the characters started so far: [base state, chars] per local state, or an empty array when some state
     * pairs inconsistently (then masks are computed by walking, as for any rule).
     */
    private int[] pair(int rule, int base) {
        int n = grammar.ruleEnd[rule] - grammar.ruleStart[rule];
        int[] out = new int[2 * n];
        Arrays.fill(out, -1);
        int r0 = grammar.ruleStart[rule];
        int b0 = grammar.ruleStart[base];
        out[0] = 0;
        out[1] = 0;
        int[] todo = new int[n];
        int top = 0;
        todo[top++] = 0;
        boolean[] seen = new boolean[n];
        seen[0] = true;
        while (top > 0) {
            int r = todo[--top];
            int b = b0 + out[2 * r];
            int chars = out[2 * r + 1];
            for (int i = grammar.rangeStart[r0 + r]; i < grammar.rangeStart[r0 + r + 1]; i++) {
                int rt = grammar.target[i] - r0;
                for (int x = grammar.lo[i] & 0xFF; x <= (grammar.hi[i] & 0xFF); x++) {
                    int bt = grammar.next(b, x);
                    if (bt < 0) {
                        return new int[0];
                    }
                    int c = chars + (b == b0 && x != '"' ? 1 : 0);
                    if (grammar.rangeStart[bt] == grammar.rangeStart[bt + 1]) {
                        c = -1; // after the closing quote: one state whatever the count
                    }
                    if (!seen[rt]) {
                        seen[rt] = true;
                        out[2 * rt] = bt - b0;
                        out[2 * rt + 1] = c;
                        todo[top++] = rt;
                    } else if (out[2 * rt] != bt - b0 || out[2 * rt + 1] != c) {
                        return new int[0];
                    }
                }
            }
        }
        return out;
    }

    /** Walks the trie from {@code state} of an unbounded string whose character boundary is {@code boundary}. */
    private CountedWalk walkCounted(int state, int boundary) {
        int[][] lists = new int[6][];
        int[] sizes = new int[6];
        for (int i = 0; i < 6; i++) {
            lists[i] = new int[64];
        }
        // 0: inside ids, 1: their chars, 2: closing ids, 3: their chars, 4: after nodes, 5: their chars
        walkCounted(TokenTrie.ROOT, state, 0, boundary, lists, sizes);
        int n = sizes[0];
        int maxChars = 0;
        for (int i = 0; i < n; i++) {
            maxChars = Math.max(maxChars, lists[1][i]);
        }
        int[] atMost = new int[maxChars + 1];
        for (int i = 0; i < n; i++) {
            atMost[lists[1][i]]++;
        }
        for (int k = 1; k <= maxChars; k++) {
            atMost[k] += atMost[k - 1];
        }
        int[] sorted = new int[n];
        int[] next = new int[maxChars + 1];
        for (int k = 1; k <= maxChars; k++) {
            next[k] = atMost[k - 1];
        }
        for (int i = 0; i < n; i++) {
            sorted[next[lists[1][i]]++] = lists[0][i];
        }
        return new CountedWalk(sorted, atMost, Arrays.copyOf(lists[2], sizes[2]), Arrays.copyOf(lists[3], sizes[2]),
                Arrays.copyOf(lists[4], sizes[4]), Arrays.copyOf(lists[5], sizes[4]));
    }

    private void walkCounted(int node, int s, int chars, int boundary, int[][] lists, int[] sizes) {
        int first = trie.childStart[node];
        for (int c = first, end = first + trie.childCount[node]; c < end; c++) {
            int x = trie.label[c] & 0xFF;
            int t = grammar.next(s, x);
            if (t < 0) {
                continue;
            }
            if (s == boundary && x == '"') {
                for (int i = trie.rangeLo[c]; i < trie.ownHi[c]; i++) {
                    add(lists, sizes, 2, trie.order[i], chars);
                }
                if (trie.childCount[c] > 0) {
                    add(lists, sizes, 4, c, chars);
                }
                continue;
            }
            int started = chars + (s == boundary ? 1 : 0);
            for (int i = trie.rangeLo[c]; i < trie.ownHi[c]; i++) {
                add(lists, sizes, 0, trie.order[i], started);
            }
            if (trie.childCount[c] > 0) {
                walkCounted(c, t, started, boundary, lists, sizes);
            }
        }
    }

    private static void add(int[][] lists, int[] sizes, int list, int value, int chars) {
        int n = sizes[list];
        if (n == lists[list].length) {
            lists[list] = Arrays.copyOf(lists[list], n * 2);
            lists[list + 1] = Arrays.copyOf(lists[list + 1], n * 2);
        }
        lists[list][n] = value;
        lists[list + 1][n] = chars;
        sizes[list] = n + 1;
    }

    private StateMask compute(int state) {
        Walk w = new Walk();
        w.start(state);
        return StateMask.ofBits(w.accepted, w.acceptedCount, Arrays.copyOf(w.dependent, w.dependentCount), trie);
    }

    /**
     * One trie walk's results. The walk carries the configurations reached by a trie node's bytes as (stack below
     * the top, top state) pairs held in one reusable buffer per trie depth, so that reading a byte that only moves
     * the top state (nearly every byte) allocates nothing.
     */
    private final class Walk {
        final long[] accepted = new long[trie.textTokens.length];
        int acceptedCount;
        int[] dependent = new int[16];
        int dependentCount;
        private Level[] levels = new Level[32];

        void acceptOwn(int node) {
            for (int i = trie.rangeLo[node], end = trie.ownHi[node]; i < end; i++) {
                int id = trie.order[i];
                long bit = 1L << id;
                if ((accepted[id >>> 6] & bit) == 0) {
                    accepted[id >>> 6] |= bit;
                    acceptedCount++;
                }
            }
        }

        void dependent(int node) {
            if (dependentCount == dependent.length) {
                dependent = Arrays.copyOf(dependent, dependent.length * 2);
            }
            dependent[dependentCount++] = node;
        }

        Level level(int depth) {
            if (depth >= levels.length) {
                levels = Arrays.copyOf(levels, depth * 2);
            }
            Level l = levels[depth];
            if (l == null) {
                l = new Level();
                levels[depth] = l;
            }
            return l;
        }

        void start(int state) {
            Level root = level(0);
            root.reset();
            root.add(EMPTY, state);
            walk(TokenTrie.ROOT, root, 0);
        }

        /**
         * The common case, kept apart because most of a walk is spent in it: one configuration whose top state has
         * no calls and cannot return to a state below it, so each byte only moves the top state.
         */
        private void walkTop(int node, int[] below, int top, int depth) {
            int first = trie.childStart[node];
            int[] dense = grammar.dense[top];
            for (int c = first, end = first + trie.childCount[node]; c < end; c++) {
                int x = trie.label[c] & 0xFF;
                int t = dense != null ? dense[x] : grammar.next(top, x);
                if (t < 0) {
                    continue;
                }
                acceptOwn(c);
                if (trie.childCount[c] == 0) {
                    continue;
                }
                if (grammar.pushTarget[t] < 0 && grammar.callStart[t] == grammar.callStart[t + 1]
                        && (!grammar.accepting[t] || below.length == 0)) {
                    if (grammar.accepting[t]) {
                        dependent(c);
                    }
                    walkTop(c, below, t, depth + 1);
                } else {
                    Level next = level(depth + 1);
                    next.reset();
                    step(below, top, x, next);
                    walk(c, next, depth + 1);
                }
            }
        }

        /** {@code at} holds the configurations after the bytes of {@code node}. */
        void walk(int node, Level at, int depth) {
            int children = trie.childCount[node];
            if (children == 0) {
                return;
            }
            if (at.n == 1) {
                int top = at.top[0];
                int[] below = at.below[0];
                if (grammar.callStart[top] == grammar.callStart[top + 1]
                        && (!grammar.accepting[top] || below.length == 0)) {
                    if (grammar.accepting[top]) {
                        dependent(node);
                    }
                    walkTop(node, below, top, depth);
                    return;
                }
            }
            Level next = level(depth + 1);
            boolean below = false;
            int first = trie.childStart[node];
            for (int c = first, end = first + children; c < end; c++) {
                int x = trie.label[c] & 0xFF;
                next.reset();
                for (int i = 0; i < at.n; i++) {
                    step(at.below[i], at.top[i], x, next);
                }
                below |= next.popped;
                if (next.n == 0) {
                    continue;
                }
                acceptOwn(c);
                walk(c, next, depth + 1);
            }
            if (below) {
                dependent(node);
            }
        }

        /** {@link Stacks#step} on a (below, top) configuration. */
        private void step(int[] below, int top, int x, Level out) {
            int[] dense = grammar.dense[top];
            int t = dense != null ? dense[x] : grammar.next(top, x);
            if (t >= 0) {
                int[] b = below;
                while (grammar.pushTarget[t] >= 0) {
                    int rule = grammar.callRule[grammar.callStart[t]];
                    b = append(b, grammar.pushTarget[t]);
                    t = grammar.ruleStart[rule];
                }
                out.add(b, t);
            }
            for (int i = grammar.callStart[top], end = grammar.callStart[top + 1]; i < end; i++) {
                step(append(below, grammar.callTarget[i]), grammar.ruleStart[grammar.callRule[i]], x, out);
            }
            if (grammar.accepting[top]) {
                if (below.length == 0) {
                    out.popped = true;
                } else {
                    step(Arrays.copyOf(below, below.length - 1), below[below.length - 1], x, out);
                }
            }
        }
    }

    private static final int[] EMPTY = new int[0];

    private static int[] append(int[] a, int v) {
        int[] b = Arrays.copyOf(a, a.length + 1);
        b[a.length] = v;
        return b;
    }

    /** The configurations at one trie depth: reused for every node at that depth. */
    private static final class Level {
        int n;
        int[][] below = new int[4][];
        int[] top = new int[4];
        boolean popped;

        void reset() {
            n = 0;
            popped = false;
        }

        void add(int[] b, int t) {
            for (int i = 0; i < n; i++) {
                if (top[i] == t && (below[i] == b || Arrays.equals(below[i], b))) {
                    return;
                }
            }
            if (n == top.length) {
                top = Arrays.copyOf(top, n * 2);
                below = Arrays.copyOf(below, n * 2);
            }
            below[n] = b;
            top[n] = t;
            n++;
        }
    }
}
