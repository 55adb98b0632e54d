package io.fairlane.engine.grammar;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A nondeterministic automaton over Unicode code points, with character-class edges and ε edges: what a
 * {@code pattern}, a {@code format} or a length bound compiles to before it becomes UTF-8 bytes. Kept at the
 * character level because that is where the JSON Schema keywords are defined ({@code minLength} counts
 * characters, a pattern's {@code .} is one character) and where intersecting two of them is cheap.
 *
 * <p>Mutable while built; confined to the compiling thread.
 */
final class CharNfa {

    private final CompileBudget budget;
    private final List<List<Object[]>> edges = new ArrayList<>(); // per state: {CharClass, Integer target}
    private final List<int[]> epsilon = new ArrayList<>();
    private final BitSet accepting = new BitSet();
    int start;

    CharNfa(CompileBudget budget) {
        this.budget = budget;
    }

    int size() {
        return edges.size();
    }

    int newState() {
        budget.states(1);
        edges.add(new ArrayList<>(2));
        epsilon.add(new int[0]);
        return edges.size() - 1;
    }

    void edge(int from, CharClass cls, int to) {
        if (!cls.isEmpty()) {
            edges.get(from).add(new Object[] {cls, to});
        }
    }

    void epsilon(int from, int to) {
        int[] e = epsilon.get(from);
        int[] n = Arrays.copyOf(e, e.length + 1);
        n[e.length] = to;
        epsilon.set(from, n);
    }

    void accept(int state) {
        accepting.set(state);
    }

    boolean accepting(int state) {
        return accepting.get(state);
    }

    List<Object[]> edges(int state) {
        return edges.get(state);
    }

    /** A fragment: a start state and an end state, the end reached by exactly the fragment's language. */
    record Frag(int start, int end) {
    }

    Frag literal(String s) {
        int start = newState();
        int at = start;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int next = newState();
            edge(at, CharClass.of(cp), next);
            at = next;
            i += Character.charCount(cp);
        }
        return new Frag(start, at);
    }

    Frag chars(CharClass cls) {
        int a = newState();
        int b = newState();
        edge(a, cls, b);
        return new Frag(a, b);
    }

    Frag empty() {
        int a = newState();
        return new Frag(a, a);
    }

    Frag concat(Frag a, Frag b) {
        epsilon(a.end, b.start);
        return new Frag(a.start, b.end);
    }

    Frag union(List<Frag> alternatives) {
        int s = newState();
        int e = newState();
        for (Frag f : alternatives) {
            epsilon(s, f.start);
            epsilon(f.end, e);
        }
        return new Frag(s, e);
    }

    Frag optional(Frag f) {
        int s = newState();
        int e = newState();
        epsilon(s, f.start);
        epsilon(f.end, e);
        epsilon(s, e);
        return new Frag(s, e);
    }

    Frag star(Frag f) {
        int s = newState();
        int e = newState();
        epsilon(s, f.start);
        epsilon(f.end, s);
        epsilon(s, e);
        return new Frag(s, e);
    }

    /** Exactly {@code cls} repeated min..max times (max = -1: unbounded), as a chain (no copies of a fragment). */
    Frag repeatChars(CharClass cls, int min, int max) {
        int start = newState();
        int at = start;
        for (int i = 0; i < min; i++) {
            int next = newState();
            edge(at, cls, next);
            at = next;
        }
        if (max < 0) {
            edge(at, cls, at);
            return new Frag(start, at);
        }
        int end = newState();
        epsilon(at, end);
        for (int i = min; i < max; i++) {
            int next = newState();
            edge(at, cls, next);
            epsilon(next, end);
            at = next;
        }
        return new Frag(start, end);
    }

    /** Sets the start and the accepting state to the fragment's. */
    CharNfa finish(Frag f) {
        start = f.start;
        accepting.clear();
        accepting.set(f.end);
        return this;
    }

    private int[] closure(int state) {
        BitSet seen = new BitSet();
        ArrayDeque<Integer> todo = new ArrayDeque<>();
        todo.add(state);
        seen.set(state);
        while (!todo.isEmpty()) {
            int s = todo.poll();
            for (int t : epsilon.get(s)) {
                if (!seen.get(t)) {
                    seen.set(t);
                    todo.add(t);
                }
            }
        }
        return seen.stream().toArray();
    }

    /** The same language without ε edges, keeping only states reachable from the start. */
    CharNfa withoutEpsilon() {
        CharNfa out = new CharNfa(budget);
        Map<Integer, Integer> ids = new HashMap<>();
        ArrayDeque<Integer> todo = new ArrayDeque<>();
        ids.put(start, out.newState());
        todo.add(start);
        out.start = 0;
        while (!todo.isEmpty()) {
            int s = todo.poll();
            int from = ids.get(s);
            for (int c : closure(s)) {
                if (accepting.get(c)) {
                    out.accept(from);
                }
                for (Object[] e : edges.get(c)) {
                    int t = (Integer) e[1];
                    Integer id = ids.get(t);
                    if (id == null) {
                        id = out.newState();
                        ids.put(t, id);
                        todo.add(t);
                    }
                    out.edge(from, (CharClass) e[0], id);
                }
            }
        }
        return out;
    }

    /** The intersection of two ε-free automata (the product construction). */
    static CharNfa intersect(CharNfa a, CharNfa b, CompileBudget budget) {
        CharNfa out = new CharNfa(budget);
        Map<Long, Integer> ids = new HashMap<>();
        ArrayDeque<long[]> todo = new ArrayDeque<>();
        ids.put(pair(a.start, b.start), out.newState());
        todo.add(new long[] {a.start, b.start});
        out.start = 0;
        while (!todo.isEmpty()) {
            long[] p = todo.poll();
            int sa = (int) p[0];
            int sb = (int) p[1];
            int from = ids.get(pair(sa, sb));
            if (a.accepting(sa) && b.accepting(sb)) {
                out.accept(from);
            }
            for (Object[] ea : a.edges(sa)) {
                for (Object[] eb : b.edges(sb)) {
                    CharClass both = ((CharClass) ea[0]).intersect((CharClass) eb[0]);
                    if (both.isEmpty()) {
                        continue;
                    }
                    int ta = (Integer) ea[1];
                    int tb = (Integer) eb[1];
                    Integer id = ids.get(pair(ta, tb));
                    if (id == null) {
                        id = out.newState();
                        ids.put(pair(ta, tb), id);
                        todo.add(new long[] {ta, tb});
                    }
                    out.edge(from, both, id);
                }
            }
            budget.tick();
        }
        return out;
    }

    private static long pair(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    /** Whether an ε-free automaton accepts {@code s}. */
    boolean matches(String s) {
        BitSet current = new BitSet();
        current.set(start);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            BitSet next = new BitSet();
            for (int st = current.nextSetBit(0); st >= 0; st = current.nextSetBit(st + 1)) {
                for (Object[] e : edges.get(st)) {
                    if (((CharClass) e[0]).contains(cp)) {
                        next.set((Integer) e[1]);
                    }
                }
            }
            if (next.isEmpty()) {
                return false;
            }
            current = next;
        }
        for (int st = current.nextSetBit(0); st >= 0; st = current.nextSetBit(st + 1)) {
            if (accepting.get(st)) {
                return true;
            }
        }
        return false;
    }

    /** Whether an ε-free automaton accepts at least one string (some accepting state is reachable). */
    boolean nonEmpty() {
        BitSet seen = new BitSet();
        ArrayDeque<Integer> todo = new ArrayDeque<>();
        todo.add(start);
        seen.set(start);
        while (!todo.isEmpty()) {
            int s = todo.poll();
            if (accepting.get(s)) {
                return true;
            }
            for (Object[] e : edges.get(s)) {
                int t = (Integer) e[1];
                if (!seen.get(t)) {
                    seen.set(t);
                    todo.add(t);
                }
            }
        }
        return false;
    }
}
