package io.fairlane.engine.grammar;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Collects the rules of a grammar as byte NFAs and turns them into a {@link Grammar}: each rule is determinised
 * by the subset construction with calls as symbols (so two alternatives calling the same rule share one edge),
 * keeping only the NFA states that have edges or accept in a subset's key (so alternatives that join again
 * land in the same state); then rules that cannot finish and states that cannot reach acceptance are removed,
 * and a rule that could call itself before reading a byte is refused.
 *
 * <p>Mutable; confined to the compiling thread.
 */
final class GrammarBuilder {

    private final CompileBudget budget;
    private final List<ByteNfa> nfas = new ArrayList<>();
    private final List<ByteNfa.Frag> bodies = new ArrayList<>();
    private final List<String> keys = new ArrayList<>();
    private final List<String> names = new ArrayList<>();
    private final Map<String, Integer> byKey = new HashMap<>();
    private final Map<Integer, int[]> counted = new HashMap<>();

    GrammarBuilder(CompileBudget budget) {
        this.budget = budget;
    }

    /** Declares a rule whose body is set later ({@link #define}); returns its id. */
    int declare(String name) {
        nfas.add(null);
        bodies.add(null);
        keys.add(null);
        names.add(name);
        return nfas.size() - 1;
    }

    void define(int rule, ByteNfa nfa, ByteNfa.Frag body) {
        nfas.set(rule, nfa);
        bodies.set(rule, body);
    }

    /**
     * The rule for a context-free lexeme (a string or number body) named by {@code key}: built once per grammar
     * by {@code body}; the key also names the rule's automaton across grammars, so token masks computed for it
     * are shared by every grammar that has the same lexeme.
     */
    int lexeme(String key, java.util.function.Function<ByteNfa, ByteNfa.Frag> body) {
        Integer known = byKey.get(key);
        if (known != null) {
            return known;
        }
        int rule = declare(key);
        keys.set(rule, key);
        byKey.put(key, rule);
        ByteNfa nfa = new ByteNfa(budget);
        define(rule, nfa, body.apply(nfa));
        return rule;
    }

    int rules() {
        return nfas.size();
    }

    /**
     * Notes that lexeme {@code rule} is lexeme {@code base} with a character count bounded to [min, max]: their
     * token masks are then derived from the base's (see {@link TokenMasks}).
     */
    void counted(int rule, int base, int min, int max) {
        counted.put(rule, new int[] {base, min, max});
    }

    /** One rule after determinisation, in local state numbers. */
    private static final class RuleDfa {
        final List<int[]> ranges = new ArrayList<>(); // per state: lo, hi, target triples (sorted by lo)
        final List<int[]> calls = new ArrayList<>();  // per state: rule, target pairs (sorted by rule)
        final BitSet accepting = new BitSet();

        int size() {
            return ranges.size();
        }
    }

    Grammar build(String description) {
        int n = nfas.size();
        RuleDfa[] dfas = new RuleDfa[n];
        for (int r = 0; r < n; r++) {
            if (nfas.get(r) == null) {
                throw new IllegalStateException("rule " + names.get(r) + " declared but never defined");
            }
            dfas[r] = determinise(nfas.get(r), bodies.get(r));
        }
        boolean[] productive = productiveRules(dfas);
        if (!productive[0]) {
            throw new SchemaException("the schema has no finite instance (every way through it recurses forever"
                    + " or admits no value)", "", "");
        }
        // Drop calls of rules that cannot finish, then states that cannot reach acceptance.
        for (RuleDfa d : dfas) {
            for (int s = 0; s < d.size(); s++) {
                int[] c = d.calls.get(s);
                int keep = 0;
                int[] kept = new int[c.length];
                for (int i = 0; i < c.length; i += 2) {
                    if (productive[c[i]]) {
                        kept[keep++] = c[i];
                        kept[keep++] = c[i + 1];
                    }
                }
                d.calls.set(s, Arrays.copyOf(kept, keep));
            }
        }
        int[][] remap = new int[n][];
        for (int r = 0; r < n; r++) {
            remap[r] = liveStates(dfas[r]);
        }
        checkLeftRecursion(dfas, productive);
        return assemble(dfas, remap, productive, description);
    }

    // ---- determinisation

    private RuleDfa determinise(ByteNfa nfa, ByteNfa.Frag body) {
        int size = nfa.size();
        int end = body.end();
        boolean[] important = new boolean[size];
        for (int s = 0; s < size; s++) {
            important[s] = nfa.byteEdgeCount(s) > 0 || nfa.callCount(s) > 0 || s == end;
        }
        int[][] closureCache = new int[size][];
        RuleDfa dfa = new RuleDfa();
        Map<Key, Integer> ids = new HashMap<>();
        List<int[]> subsets = new ArrayList<>();
        int[] start = closure(nfa, new int[] {body.start()}, 1, important, closureCache);
        ids.put(new Key(start), 0);
        subsets.add(start);
        dfa.ranges.add(null);
        dfa.calls.add(null);
        budget.states(1);
        for (int d = 0; d < subsets.size(); d++) {
            int[] set = subsets.get(d);
            if (Arrays.binarySearch(set, end) >= 0) {
                dfa.accepting.set(d);
            }
            // Byte moves: cut 0..255 at every edge boundary, then group equal target sets.
            int edges = 0;
            for (int s : set) {
                edges += nfa.byteEdgeCount(s);
            }
            int[] points = new int[edges * 2];
            int p = 0;
            for (int s : set) {
                int[] e = nfa.byteEdges(s);
                for (int i = 0; i < nfa.byteEdgeCount(s); i++) {
                    points[p++] = e[3 * i];
                    points[p++] = e[3 * i + 1] + 1;
                }
            }
            Arrays.sort(points);
            List<int[]> ranges = new ArrayList<>();
            int[] targets = new int[Math.max(edges, 1)];
            for (int i = 0; i < points.length; i++) {
                int lo = points[i];
                if (i > 0 && lo == points[i - 1] || lo > 255) {
                    continue;
                }
                int hi = -1;
                for (int j = i + 1; j < points.length; j++) {
                    if (points[j] > lo) {
                        hi = points[j] - 1;
                        break;
                    }
                }
                if (hi < 0) {
                    continue;
                }
                int t = 0;
                for (int s : set) {
                    int[] e = nfa.byteEdges(s);
                    for (int k = 0; k < nfa.byteEdgeCount(s); k++) {
                        if (e[3 * k] <= lo && lo <= e[3 * k + 1]) {
                            targets[t++] = e[3 * k + 2];
                        }
                    }
                }
                if (t == 0) {
                    continue;
                }
                int id = stateFor(nfa, Arrays.copyOf(targets, t), important, closureCache, ids, subsets, dfa);
                if (!ranges.isEmpty() && ranges.getLast()[2] == id && ranges.getLast()[1] == lo - 1) {
                    ranges.getLast()[1] = hi;
                } else {
                    ranges.add(new int[] {lo, hi, id});
                }
            }
            int[] flat = new int[ranges.size() * 3];
            for (int i = 0; i < ranges.size(); i++) {
                System.arraycopy(ranges.get(i), 0, flat, 3 * i, 3);
            }
            dfa.ranges.set(d, flat);
            // Call moves: one edge per callee, to the union of the members' targets.
            TreeMap<Integer, List<Integer>> byRule = new TreeMap<>();
            for (int s : set) {
                int[] c = nfa.callEdges(s);
                for (int i = 0; i < nfa.callCount(s); i++) {
                    byRule.computeIfAbsent(c[2 * i], k -> new ArrayList<>()).add(c[2 * i + 1]);
                }
            }
            int[] calls = new int[byRule.size() * 2];
            int c = 0;
            for (Map.Entry<Integer, List<Integer>> e : byRule.entrySet()) {
                int[] t = e.getValue().stream().mapToInt(Integer::intValue).toArray();
                calls[c++] = e.getKey();
                calls[c++] = stateFor(nfa, t, important, closureCache, ids, subsets, dfa);
            }
            dfa.calls.set(d, calls);
            if ((d & 0xFF) == 0) {
                budget.tick();
            }
        }
        return dfa;
    }

    private int stateFor(ByteNfa nfa, int[] targets, boolean[] important, int[][] cache, Map<Key, Integer> ids,
                         List<int[]> subsets, RuleDfa dfa) {
        int[] set = closure(nfa, targets, targets.length, important, cache);
        Key key = new Key(set);
        Integer id = ids.get(key);
        if (id == null) {
            budget.states(1);
            id = subsets.size();
            ids.put(key, id);
            subsets.add(set);
            dfa.ranges.add(null);
            dfa.calls.add(null);
        }
        return id;
    }

    /** The important states ε-reachable from {@code from[0..n)}, sorted. */
    private int[] closure(ByteNfa nfa, int[] from, int n, boolean[] important, int[][] cache) {
        if (n == 1) {
            return closureOf(nfa, from[0], important, cache);
        }
        int[][] parts = new int[n][];
        int total = 0;
        for (int i = 0; i < n; i++) {
            parts[i] = closureOf(nfa, from[i], important, cache);
            total += parts[i].length;
        }
        int[] all = new int[total];
        int k = 0;
        for (int[] part : parts) {
            System.arraycopy(part, 0, all, k, part.length);
            k += part.length;
        }
        Arrays.sort(all);
        int m = 0;
        for (int i = 0; i < all.length; i++) {
            if (i == 0 || all[i] != all[i - 1]) {
                all[m++] = all[i];
            }
        }
        return Arrays.copyOf(all, m);
    }

    /** Scratch space for closures: a visit stamp per NFA state and a work stack, reused across calls. */
    private int[] mark = new int[0];
    private int stamp;
    private int[] work = new int[64];
    private int[] found = new int[64];

    private int[] closureOf(ByteNfa nfa, int state, boolean[] important, int[][] cache) {
        int[] known = cache[state];
        if (known != null) {
            return known;
        }
        if (mark.length < nfa.size()) {
            mark = new int[nfa.size()];
            stamp = 0;
        }
        stamp++;
        int top = 0;
        int n = 0;
        work[top++] = state;
        mark[state] = stamp;
        while (top > 0) {
            int s = work[--top];
            if (important[s]) {
                if (n == found.length) {
                    found = Arrays.copyOf(found, n * 2);
                }
                found[n++] = s;
            }
            int[] e = nfa.epsEdges(s);
            for (int i = 0; i < nfa.epsCount(s); i++) {
                int t = e[i];
                if (mark[t] != stamp) {
                    mark[t] = stamp;
                    if (top == work.length) {
                        work = Arrays.copyOf(work, top * 2);
                    }
                    work[top++] = t;
                }
            }
        }
        int[] result = Arrays.copyOf(found, n);
        Arrays.sort(result);
        cache[state] = result;
        return result;
    }

    private record Key(int[] set) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(set, k.set);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(set);
        }
    }

    // ---- pruning and checks

    /** Rules that can finish: some accepting state is reachable through bytes and calls of rules that can. */
    private static boolean[] productiveRules(RuleDfa[] dfas) {
        int n = dfas.length;
        boolean[] productive = new boolean[n];
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int r = 0; r < n; r++) {
                if (!productive[r] && reachesAcceptance(dfas[r], productive)) {
                    productive[r] = true;
                    changed = true;
                }
            }
        }
        return productive;
    }

    private static boolean reachesAcceptance(RuleDfa d, boolean[] productive) {
        BitSet seen = new BitSet();
        ArrayDeque<Integer> todo = new ArrayDeque<>();
        todo.add(0);
        seen.set(0);
        while (!todo.isEmpty()) {
            int s = todo.poll();
            if (d.accepting.get(s)) {
                return true;
            }
            int[] r = d.ranges.get(s);
            for (int i = 0; i < r.length; i += 3) {
                if (!seen.get(r[i + 2])) {
                    seen.set(r[i + 2]);
                    todo.add(r[i + 2]);
                }
            }
            int[] c = d.calls.get(s);
            for (int i = 0; i < c.length; i += 2) {
                if (productive[c[i]] && !seen.get(c[i + 1])) {
                    seen.set(c[i + 1]);
                    todo.add(c[i + 1]);
                }
            }
        }
        return false;
    }

    /**
     * Keeps the states reachable from the start that can reach acceptance; returns old → new numbers (-1 for
     * dropped). The start state is always kept (the rule is productive or never called).
     */
    private static int[] liveStates(RuleDfa d) {
        int n = d.size();
        List<List<Integer>> reverse = new ArrayList<>(n);
        for (int s = 0; s < n; s++) {
            reverse.add(new ArrayList<>());
        }
        for (int s = 0; s < n; s++) {
            int[] r = d.ranges.get(s);
            for (int i = 0; i < r.length; i += 3) {
                reverse.get(r[i + 2]).add(s);
            }
            int[] c = d.calls.get(s);
            for (int i = 0; i < c.length; i += 2) {
                reverse.get(c[i + 1]).add(s);
            }
        }
        BitSet live = new BitSet();
        ArrayDeque<Integer> todo = new ArrayDeque<>();
        for (int s = d.accepting.nextSetBit(0); s >= 0; s = d.accepting.nextSetBit(s + 1)) {
            live.set(s);
            todo.add(s);
        }
        while (!todo.isEmpty()) {
            int s = todo.poll();
            for (int p : reverse.get(s)) {
                if (!live.get(p)) {
                    live.set(p);
                    todo.add(p);
                }
            }
        }
        live.set(0);
        // Reachable from the start through live states only.
        BitSet reach = new BitSet();
        todo.add(0);
        reach.set(0);
        while (!todo.isEmpty()) {
            int s = todo.poll();
            int[] r = d.ranges.get(s);
            for (int i = 0; i < r.length; i += 3) {
                int t = r[i + 2];
                if (live.get(t) && !reach.get(t)) {
                    reach.set(t);
                    todo.add(t);
                }
            }
            int[] c = d.calls.get(s);
            for (int i = 0; i < c.length; i += 2) {
                int t = c[i + 1];
                if (live.get(t) && !reach.get(t)) {
                    reach.set(t);
                    todo.add(t);
                }
            }
        }
        int[] map = new int[n];
        int next = 0;
        for (int s = 0; s < n; s++) {
            map[s] = reach.get(s) ? next++ : -1;
        }
        return map;
    }

    /** Refuses a rule that can call itself (through other rules' start states) before reading a byte. */
    private void checkLeftRecursion(RuleDfa[] dfas, boolean[] productive) {
        int n = dfas.length;
        int[] colour = new int[n];
        for (int r = 0; r < n; r++) {
            if (productive[r] && colour[r] == 0) {
                leftDfs(r, dfas, productive, colour);
            }
        }
    }

    private void leftDfs(int r, RuleDfa[] dfas, boolean[] productive, int[] colour) {
        colour[r] = 1;
        int[] c = dfas[r].calls.get(0);
        for (int i = 0; i < c.length; i += 2) {
            int callee = c[i];
            if (colour[callee] == 1) {
                throw new SchemaException("'" + names.get(callee) + "' refers to itself before any value is read"
                        + " (left recursion)", "$ref", pointerOf(names.get(callee)));
            }
            if (colour[callee] == 0) {
                leftDfs(callee, dfas, productive, colour);
            }
        }
        colour[r] = 2;
    }

    private static String pointerOf(String name) {
        return name.startsWith("#") ? name.substring(1) : "";
    }

    // ---- assembly

    private Grammar assemble(RuleDfa[] dfas, int[][] remap, boolean[] productive, String description) {
        int n = dfas.length;
        int[] ruleStart = new int[n];
        int[] ruleEnd = new int[n];
        int total = 0;
        for (int r = 0; r < n; r++) {
            ruleStart[r] = total;
            int live = 0;
            for (int m : remap[r]) {
                live += m >= 0 ? 1 : 0;
            }
            total += live;
            ruleEnd[r] = total;
        }
        int[] ruleOf = new int[total];
        int[] rangeStart = new int[total + 1];
        int[] callStart = new int[total + 1];
        boolean[] accepting = new boolean[total];
        List<int[]> rangeList = new ArrayList<>(total);
        List<int[]> callList = new ArrayList<>(total);
        int ranges = 0;
        int calls = 0;
        for (int r = 0; r < n; r++) {
            RuleDfa d = dfas[r];
            int[] map = remap[r];
            for (int s = 0; s < d.size(); s++) {
                if (map[s] < 0) {
                    continue;
                }
                int g = ruleStart[r] + map[s];
                ruleOf[g] = r;
                accepting[g] = d.accepting.get(s);
                int[] rs = d.ranges.get(s);
                int[] kept = new int[rs.length];
                int k = 0;
                for (int i = 0; i < rs.length; i += 3) {
                    if (map[rs[i + 2]] >= 0) {
                        kept[k++] = rs[i];
                        kept[k++] = rs[i + 1];
                        kept[k++] = ruleStart[r] + map[rs[i + 2]];
                    }
                }
                rangeList.add(Arrays.copyOf(kept, k));
                ranges += k / 3;
                int[] cs = d.calls.get(s);
                int[] keptCalls = new int[cs.length];
                k = 0;
                for (int i = 0; i < cs.length; i += 2) {
                    if (map[cs[i + 1]] >= 0 && productive[cs[i]]) {
                        keptCalls[k++] = cs[i];
                        keptCalls[k++] = ruleStart[r] + map[cs[i + 1]];
                    }
                }
                callList.add(Arrays.copyOf(keptCalls, k));
                calls += k / 2;
            }
        }
        byte[] lo = new byte[ranges];
        byte[] hi = new byte[ranges];
        int[] target = new int[ranges];
        int[] callRule = new int[calls];
        int[] callTarget = new int[calls];
        int ri = 0;
        int ci = 0;
        for (int g = 0; g < total; g++) {
            rangeStart[g] = ri;
            int[] rs = rangeList.get(g);
            for (int i = 0; i < rs.length; i += 3) {
                lo[ri] = (byte) rs[i];
                hi[ri] = (byte) rs[i + 1];
                target[ri] = rs[i + 2];
                ri++;
            }
            callStart[g] = ci;
            int[] cs = callList.get(g);
            for (int i = 0; i < cs.length; i += 2) {
                callRule[ci] = cs[i];
                callTarget[ci] = cs[i + 1];
                ci++;
            }
        }
        rangeStart[total] = ri;
        callStart[total] = ci;
        int[][] countedArrays = new int[3][n];
        java.util.Arrays.fill(countedArrays[0], -1);
        counted.forEach((rule, c) -> {
            countedArrays[0][rule] = c[0];
            countedArrays[1][rule] = c[1];
            countedArrays[2][rule] = c[2];
        });
        return new Grammar(ruleStart, ruleEnd, keys.toArray(new String[0]), countedArrays, ruleOf, rangeStart, lo, hi,
                target, callStart, callRule, callTarget, accepting, description);
    }
}
