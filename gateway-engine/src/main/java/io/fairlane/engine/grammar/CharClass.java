package io.fairlane.engine.grammar;

import java.util.Arrays;

/**
 * A set of Unicode code points as sorted, disjoint, non-adjacent closed intervals. Regular expressions and string
 * formats are built over code points first and turned into UTF-8 bytes last, so that a character class like
 * {@code [^a-z]} stays one edge instead of hundreds of byte paths until the very end.
 *
 * <p>Immutable.
 */
final class CharClass {

    static final int MAX = 0x10FFFF;
    static final CharClass EMPTY = new CharClass(new int[0]);
    static final CharClass ALL = new CharClass(new int[] {0, MAX});

    /** [lo0, hi0, lo1, hi1, ...], ascending, disjoint and not adjacent. */
    private final int[] bounds;

    private CharClass(int[] bounds) {
        this.bounds = bounds;
    }

    static CharClass of(int c) {
        return range(c, c);
    }

    static CharClass range(int lo, int hi) {
        if (lo > hi) {
            return EMPTY;
        }
        return new CharClass(new int[] {lo, hi});
    }

    static CharClass chars(String s) {
        CharClass c = EMPTY;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            c = c.union(of(cp));
            i += Character.charCount(cp);
        }
        return c;
    }

    int ranges() {
        return bounds.length / 2;
    }

    int lo(int i) {
        return bounds[2 * i];
    }

    int hi(int i) {
        return bounds[2 * i + 1];
    }

    boolean isEmpty() {
        return bounds.length == 0;
    }

    boolean contains(int c) {
        for (int i = 0; i < bounds.length; i += 2) {
            if (c < bounds[i]) {
                return false;
            }
            if (c <= bounds[i + 1]) {
                return true;
            }
        }
        return false;
    }

    CharClass union(CharClass o) {
        int[] all = new int[bounds.length + o.bounds.length];
        System.arraycopy(bounds, 0, all, 0, bounds.length);
        System.arraycopy(o.bounds, 0, all, bounds.length, o.bounds.length);
        return normalise(all);
    }

    CharClass complement() {
        int[] out = new int[bounds.length + 2];
        int n = 0;
        int next = 0;
        for (int i = 0; i < bounds.length; i += 2) {
            if (bounds[i] > next) {
                out[n++] = next;
                out[n++] = bounds[i] - 1;
            }
            next = bounds[i + 1] + 1;
        }
        if (next <= MAX) {
            out[n++] = next;
            out[n++] = MAX;
        }
        return new CharClass(Arrays.copyOf(out, n));
    }

    CharClass intersect(CharClass o) {
        return complement().union(o.complement()).complement();
    }

    CharClass minus(CharClass o) {
        return intersect(o.complement());
    }

    /** Sorts and merges overlapping or adjacent [lo, hi] pairs. */
    private static CharClass normalise(int[] pairs) {
        int n = pairs.length / 2;
        long[] packed = new long[n];
        for (int i = 0; i < n; i++) {
            packed[i] = ((long) pairs[2 * i] << 32) | (pairs[2 * i + 1] & 0xFFFFFFFFL);
        }
        Arrays.sort(packed);
        int[] out = new int[pairs.length];
        int m = 0;
        for (long p : packed) {
            int lo = (int) (p >>> 32);
            int hi = (int) p;
            if (m > 0 && lo <= out[m - 1] + 1) {
                out[m - 1] = Math.max(out[m - 1], hi);
            } else {
                out[m++] = lo;
                out[m++] = hi;
            }
        }
        return new CharClass(Arrays.copyOf(out, m));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CharClass c && Arrays.equals(bounds, c.bounds);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bounds);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < bounds.length; i += 2) {
            sb.append(Integer.toHexString(bounds[i]));
            if (bounds[i + 1] != bounds[i]) {
                sb.append('-').append(Integer.toHexString(bounds[i + 1]));
            }
            sb.append(i + 2 < bounds.length ? " " : "");
        }
        return sb.append(']').toString();
    }
}
