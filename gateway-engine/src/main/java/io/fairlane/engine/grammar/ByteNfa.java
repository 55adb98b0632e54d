package io.fairlane.engine.grammar;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A nondeterministic automaton over bytes with three kinds of edges: byte ranges, ε, and calls to another rule
 * of the grammar (taken by reading one whole sentence of that rule). One is built per rule and determinised
 * into the rule's {@link Grammar} states. Everything the schema compiler emits goes through here: JSON
 * punctuation and keys as literal bytes, character-level automata as UTF-8 with JSON escapes, and recursive
 * {@code $ref}s, strings and numbers as calls.
 *
 * <p>Mutable while built; confined to the compiling thread.
 */
final class ByteNfa {

    /** A fragment: entered at {@code start}, left at {@code end}. */
    record Frag(int start, int end) {
    }

    private final CompileBudget budget;
    private int[][] byteEdges = new int[64][];  // per state: lo, hi, target triples
    private int[] byteCount = new int[64];
    private int[][] epsEdges = new int[64][];
    private int[] epsCount = new int[64];
    private int[][] callEdges = new int[64][];  // per state: rule, target pairs
    private int[] callCount = new int[64];
    private int size;

    ByteNfa(CompileBudget budget) {
        this.budget = budget;
    }

    int size() {
        return size;
    }

    int newState() {
        budget.states(1);
        if (size == byteEdges.length) {
            int n = size * 2;
            byteEdges = Arrays.copyOf(byteEdges, n);
            byteCount = Arrays.copyOf(byteCount, n);
            epsEdges = Arrays.copyOf(epsEdges, n);
            epsCount = Arrays.copyOf(epsCount, n);
            callEdges = Arrays.copyOf(callEdges, n);
            callCount = Arrays.copyOf(callCount, n);
        }
        return size++;
    }

    void bytes(int from, int lo, int hi, int to) {
        if (byteEdges[from] == null) {
            byteEdges[from] = new int[6];
        } else if (byteCount[from] * 3 == byteEdges[from].length) {
            byteEdges[from] = Arrays.copyOf(byteEdges[from], byteEdges[from].length * 2);
        }
        int[] e = byteEdges[from];
        int n = byteCount[from]++ * 3;
        e[n] = lo;
        e[n + 1] = hi;
        e[n + 2] = to;
    }

    void epsilon(int from, int to) {
        if (epsEdges[from] == null) {
            epsEdges[from] = new int[2];
        } else if (epsCount[from] == epsEdges[from].length) {
            epsEdges[from] = Arrays.copyOf(epsEdges[from], epsEdges[from].length * 2);
        }
        epsEdges[from][epsCount[from]++] = to;
    }

    void call(int from, int rule, int to) {
        if (callEdges[from] == null) {
            callEdges[from] = new int[4];
        } else if (callCount[from] * 2 == callEdges[from].length) {
            callEdges[from] = Arrays.copyOf(callEdges[from], callEdges[from].length * 2);
        }
        int n = callCount[from]++ * 2;
        callEdges[from][n] = rule;
        callEdges[from][n + 1] = to;
    }

    int byteEdgeCount(int s) {
        return byteCount[s];
    }

    int[] byteEdges(int s) {
        return byteEdges[s];
    }

    int epsCount(int s) {
        return epsCount[s];
    }

    int[] epsEdges(int s) {
        return epsEdges[s];
    }

    int callCount(int s) {
        return callCount[s];
    }

    int[] callEdges(int s) {
        return callEdges[s];
    }

    // ---- building blocks

    Frag empty() {
        int s = newState();
        return new Frag(s, s);
    }

    Frag literal(String text) {
        return literal(text.getBytes(StandardCharsets.UTF_8));
    }

    Frag literal(byte[] b) {
        int start = newState();
        int at = start;
        for (byte x : b) {
            int next = newState();
            bytes(at, x & 0xFF, x & 0xFF, next);
            at = next;
        }
        return new Frag(start, at);
    }

    Frag byteRange(int lo, int hi) {
        int a = newState();
        int b = newState();
        bytes(a, lo, hi, b);
        return new Frag(a, b);
    }

    Frag call(int rule) {
        int a = newState();
        int b = newState();
        call(a, rule, b);
        return new Frag(a, b);
    }

    Frag seq(Frag... parts) {
        return seq(Arrays.asList(parts));
    }

    Frag seq(List<Frag> parts) {
        if (parts.isEmpty()) {
            return empty();
        }
        for (int i = 1; i < parts.size(); i++) {
            epsilon(parts.get(i - 1).end, parts.get(i).start);
        }
        return new Frag(parts.getFirst().start, parts.getLast().end);
    }

    Frag union(List<Frag> alternatives) {
        if (alternatives.size() == 1) {
            return alternatives.getFirst();
        }
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

    /** Zero or more of {@code f}. */
    Frag star(Frag f) {
        int s = newState();
        int e = newState();
        epsilon(s, f.start);
        epsilon(f.end, s);
        epsilon(s, e);
        return new Frag(s, e);
    }

    // ---- characters as UTF-8, JSON-escaped where JSON demands it

    /**
     * Embeds an ε-free character automaton as the body of a JSON string: each character as its UTF-8 bytes, or,
     * for the characters JSON strings cannot hold raw ({@code "}, {@code \}, U+0000–U+001F), as its short escape
     * ({@code \"}, {@code \\}, {@code \n}, ...) or a backslash-u escape. Surrogate code points, which UTF-8 cannot
     * encode, are left out. The fragment ends at a new state that every accepting state reaches by ε.
     */
    Frag jsonChars(CharNfa chars) {
        int n = chars.size();
        int[] map = new int[n];
        for (int i = 0; i < n; i++) {
            map[i] = newState();
        }
        int end = newState();
        for (int s = 0; s < n; s++) {
            if (chars.accepting(s)) {
                epsilon(map[s], end);
            }
            for (Object[] e : chars.edges(s)) {
                charEdge(map[s], (CharClass) e[0], map[(Integer) e[1]]);
            }
        }
        return new Frag(map[chars.start], end);
    }

    private static final CharClass MUST_ESCAPE = CharClass.range(0, 0x1F).union(CharClass.chars("\"\\"));
    private static final CharClass SURROGATES = CharClass.range(0xD800, 0xDFFF);

    private static final byte[][] ESCAPES = new byte[0x5D][];

    static {
        for (int c = 0; c < ESCAPES.length; c++) {
            if (c < 0x20 || c == '"' || c == '\\') {
                ESCAPES[c] = escape(c).getBytes(StandardCharsets.US_ASCII);
            }
        }
    }

    /** One character of {@code cls}, JSON-escaped as needed, from {@code from} to {@code to}. */
    void charEdge(int from, CharClass cls, int to) {
        CharClass escaped = cls.intersect(MUST_ESCAPE);
        for (int i = 0; i < escaped.ranges(); i++) {
            for (int c = escaped.lo(i); c <= escaped.hi(i); c++) {
                chain(from, ESCAPES[c], to);
            }
        }
        CharClass raw = cls.minus(MUST_ESCAPE).minus(SURROGATES);
        for (int i = 0; i < raw.ranges(); i++) {
            utf8(from, raw.lo(i), raw.hi(i), to);
        }
    }

    /** The JSON escape of a character that must be escaped. */
    static String escape(int c) {
        return switch (c) {
            case '"' -> "\\\"";
            case '\\' -> "\\\\";
            case '\b' -> "\\b";
            case '\f' -> "\\f";
            case '\n' -> "\\n";
            case '\r' -> "\\r";
            case '\t' -> "\\t";
            default -> String.format("\\u%04x", c);
        };
    }

    private void chain(int from, byte[] b, int to) {
        int at = from;
        for (int i = 0; i < b.length; i++) {
            int next = i == b.length - 1 ? to : newState();
            bytes(at, b[i] & 0xFF, b[i] & 0xFF, next);
            at = next;
        }
    }

    /** Code points lo..hi (no surrogates inside) as UTF-8 byte-range sequences from {@code from} to {@code to}. */
    private void utf8(int from, int lo, int hi, int to) {
        int[] limits = {0x7F, 0x7FF, 0xFFFF, 0x10FFFF};
        for (int limit : limits) {
            if (lo > hi) {
                return;
            }
            if (lo <= limit) {
                int top = Math.min(hi, limit);
                utf8SameLength(from, lo, top, to);
                lo = top + 1;
            }
        }
    }

    /** lo..hi all encode to the same number of bytes; splits until each piece is a product of byte ranges. */
    private void utf8SameLength(int from, int lo, int hi, int to) {
        int n = length(lo);
        for (int i = 1; i < n; i++) {
            int m = (1 << (6 * i)) - 1;
            if ((lo & ~m) != (hi & ~m)) {
                if ((lo & m) != 0) {
                    utf8SameLength(from, lo, lo | m, to);
                    utf8SameLength(from, (lo | m) + 1, hi, to);
                    return;
                }
                if ((hi & m) != m) {
                    utf8SameLength(from, lo, (hi & ~m) - 1, to);
                    utf8SameLength(from, hi & ~m, hi, to);
                    return;
                }
            }
        }
        byte[] a = encode(lo);
        byte[] b = encode(hi);
        int at = from;
        for (int i = 0; i < n; i++) {
            int next = i == n - 1 ? to : newState();
            bytes(at, a[i] & 0xFF, b[i] & 0xFF, next);
            at = next;
        }
    }

    private static int length(int cp) {
        return cp <= 0x7F ? 1 : cp <= 0x7FF ? 2 : cp <= 0xFFFF ? 3 : 4;
    }

    private static byte[] encode(int cp) {
        return switch (length(cp)) {
            case 1 -> new byte[] {(byte) cp};
            case 2 -> new byte[] {(byte) (0xC0 | cp >> 6), (byte) (0x80 | cp & 0x3F)};
            case 3 -> new byte[] {(byte) (0xE0 | cp >> 12), (byte) (0x80 | cp >> 6 & 0x3F), (byte) (0x80 | cp & 0x3F)};
            default -> new byte[] {(byte) (0xF0 | cp >> 18), (byte) (0x80 | cp >> 12 & 0x3F),
                (byte) (0x80 | cp >> 6 & 0x3F), (byte) (0x80 | cp & 0x3F)};
        };
    }

    /** States in order of creation; for error messages and tests. */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        parts.add(size + " states");
        return "ByteNfa" + parts;
    }
}
