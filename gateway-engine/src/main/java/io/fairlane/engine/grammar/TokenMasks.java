package io.fairlane.engine.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
 * <p>Thread-safe: racing computations of one state produce equal masks and either may win.
 */
final class TokenMasks {

    private final Grammar grammar;
    private final TokenTrie trie;
    private final AtomicReferenceArray<StateMask> own;
    private final AtomicReferenceArray<StateMask>[] lexemes;

    @SuppressWarnings("unchecked")
    TokenMasks(Grammar grammar, VocabularyIndex index) {
        this.grammar = grammar;
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
            m = compute(state);
            table.set(slot, m);
        }
        return m;
    }

    /** Whether the mask of {@code state} is already known (for statistics). */
    boolean known(int state) {
        int rule = grammar.ruleOf[state];
        AtomicReferenceArray<StateMask> shared = lexemes[rule];
        return shared != null ? shared.get(state - grammar.ruleStart[rule]) != null : own.get(state) != null;
    }

    private StateMask compute(int state) {
        Walk w = new Walk();
        if (simple(state)) {
            w.fast(TokenTrie.ROOT, state);
        } else {
            List<int[]> start = new ArrayList<>(1);
            start.add(new int[] {state});
            w.general(TokenTrie.ROOT, start);
        }
        return StateMask.of(StateMask.sorted(w.accepted, w.acceptedCount), Arrays.copyOf(w.dependent, w.dependentCount),
                trie);
    }

    /** A state whose moves are byte edges only (no calls): walked without stacks. */
    private boolean simple(int s) {
        return !grammar.hasCalls(s);
    }

    /** One trie walk's results. */
    private final class Walk {
        int[] accepted = new int[256];
        int acceptedCount;
        int[] dependent = new int[16];
        int dependentCount;

        void acceptOwn(int node) {
            for (int i = trie.rangeLo[node], end = trie.ownHi[node]; i < end; i++) {
                if (acceptedCount == accepted.length) {
                    accepted = Arrays.copyOf(accepted, accepted.length * 2);
                }
                accepted[acceptedCount++] = trie.order[i];
            }
        }

        void dependent(int node) {
            if (dependentCount == dependent.length) {
                dependent = Arrays.copyOf(dependent, dependent.length * 2);
            }
            dependent[dependentCount++] = node;
        }

        /** The stack is one state without calls: follow byte edges only. */
        void fast(int node, int s) {
            int children = trie.childCount[node];
            if (children == 0) {
                return;
            }
            if (grammar.accepting[s]) {
                dependent(node);
            }
            int first = trie.childStart[node];
            int[] dense = grammar.dense[s];
            for (int c = first, end = first + children; c < end; c++) {
                int b = trie.label[c] & 0xFF;
                int t = dense != null ? dense[b] : grammar.next(s, b);
                if (t < 0) {
                    continue;
                }
                acceptOwn(c);
                if (simple(t) && grammar.pushTarget[t] < 0) {
                    fast(c, t);
                } else {
                    List<int[]> next = new ArrayList<>(1);
                    next.add(Stacks.normalise(grammar, new int[] {t}));
                    general(c, next);
                }
            }
        }

        /** Any stacks, bottom entry = the state whose mask is computed. */
        void general(int node, List<int[]> stacks) {
            int children = trie.childCount[node];
            if (children == 0) {
                return;
            }
            boolean below = false;
            int first = trie.childStart[node];
            for (int c = first, end = first + children; c < end; c++) {
                List<int[]> next = new ArrayList<>(stacks.size());
                below |= Stacks.stepAll(grammar, stacks, trie.label[c] & 0xFF, next);
                if (next.isEmpty()) {
                    continue;
                }
                acceptOwn(c);
                if (next.size() == 1 && next.getFirst().length == 1 && simple(next.getFirst()[0])) {
                    fast(c, next.getFirst()[0]);
                } else {
                    general(c, next);
                }
            }
            if (below) {
                dependent(node);
            }
        }
    }
}
