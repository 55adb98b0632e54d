package io.fairlane.engine.grammar;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * The JSON numbers a schema's {@code integer} or {@code number} admits, as a character automaton: plain decimal
 * notation (no exponent), at most {@value #MAX_INT_DIGITS} integer digits and {@value #MAX_FRACTION_DIGITS}
 * fraction digits, {@code -0} never written. Bounds ({@code minimum}, {@code maximum}, {@code exclusiveMinimum},
 * {@code exclusiveMaximum}, any decimal values) are enforced exactly by comparing digit strings: the integer
 * part as a range of digit strings, the fraction against the bound's fraction digits. {@code multipleOf} is
 * enforced exactly when it is {@code m·10^-n} with {@code m ≤ }{@value #MAX_MODULUS} and
 * {@code n ≤ }{@value #MAX_FRACTION_DIGITS} (a remainder automaton over the digits; at most n fraction digits);
 * other values are refused. Everything here is a subset of what the schema allows, so a generated number always
 * validates.
 */
final class NumberLanguage {

    static final int MAX_INT_DIGITS = 15;
    static final int MAX_FRACTION_DIGITS = 12;
    static final int MAX_MODULUS = 10_000;

    private static final CharClass DIGIT = CharClass.range('0', '9');
    private static final BigInteger INT_LIMIT = BigInteger.TEN.pow(MAX_INT_DIGITS).subtract(BigInteger.ONE);

    /** A bound: its value and whether it is exclusive. */
    record Bound(BigDecimal value, boolean exclusive) {
    }

    private final CompileBudget budget;
    private final String pointer;

    private NumberLanguage(CompileBudget budget, String pointer) {
        this.budget = budget;
        this.pointer = pointer;
    }

    /**
     * @param lower      the lower bound, or null
     * @param upper      the upper bound, or null
     * @param multipleOf the step, or null
     */
    static CharNfa compile(boolean integer, Bound lower, Bound upper, BigDecimal multipleOf, String pointer,
                           CompileBudget budget) {
        NumberLanguage n = new NumberLanguage(budget, pointer);
        int fraction = integer ? 0 : MAX_FRACTION_DIGITS;
        BigInteger modulus = null;
        int scale = 0;
        if (multipleOf != null) {
            if (multipleOf.signum() <= 0) {
                throw new SchemaException("multipleOf must be greater than 0", "multipleOf", pointer);
            }
            BigDecimal m = multipleOf.stripTrailingZeros();
            scale = Math.max(m.scale(), 0);
            BigInteger unscaled = m.movePointRight(scale).toBigIntegerExact();
            if (scale > MAX_FRACTION_DIGITS || unscaled.compareTo(BigInteger.valueOf(MAX_MODULUS)) > 0) {
                throw new SchemaException("multipleOf " + multipleOf.toPlainString() + " is not supported: it must be"
                        + " m·10^-n with m at most " + MAX_MODULUS + " and n at most " + MAX_FRACTION_DIGITS,
                        "multipleOf", pointer);
            }
            fraction = Math.min(fraction, scale);
            modulus = unscaled;
        }
        CharNfa values = n.bounded(lower, upper, fraction);
        if (modulus != null && !modulus.equals(BigInteger.ONE)) {
            values = CharNfa.intersect(values, n.multiples(modulus.intValueExact(), scale, fraction), budget);
        }
        if (!values.nonEmpty()) {
            throw new SchemaException("no " + (integer ? "integer" : "number") + " satisfies the bounds and"
                    + " multipleOf of this schema (within " + MAX_INT_DIGITS + " integer digits)",
                    lower != null ? "minimum" : upper != null ? "maximum" : "multipleOf", pointer);
        }
        return values;
    }

    /** Numbers in [lower, upper] (bounds optional) with at most {@code fraction} fraction digits. */
    private CharNfa bounded(Bound lower, Bound upper, int fraction) {
        CharNfa nfa = new CharNfa(budget);
        List<CharNfa.Frag> parts = new ArrayList<>();
        // x >= 0: magnitude in [max(lower, 0), upper].
        boolean positive = upper == null || upper.value().signum() > 0
                || upper.value().signum() == 0 && !upper.exclusive();
        if (positive) {
            Bound lo = lower == null || lower.value().signum() < 0 ? new Bound(BigDecimal.ZERO, false) : lower;
            CharNfa.Frag f = magnitude(nfa, lo, upper, fraction);
            if (f != null) {
                parts.add(f);
            }
        }
        // x < 0: magnitude in (max(-upper, 0), -lower].
        boolean negative = lower == null || lower.value().signum() < 0;
        if (negative) {
            Bound lo = upper == null || upper.value().signum() >= 0 ? new Bound(BigDecimal.ZERO, true)
                    : new Bound(upper.value().negate(), upper.exclusive());
            Bound hi = lower == null ? null : new Bound(lower.value().negate(), lower.exclusive());
            CharNfa.Frag f = magnitude(nfa, lo, hi, fraction);
            if (f != null) {
                parts.add(nfa.concat(nfa.literal("-"), f));
            }
        }
        if (parts.isEmpty()) {
            int dead = nfa.newState();
            return nfa.finish(new CharNfa.Frag(dead, nfa.newState())).withoutEpsilon();
        }
        return nfa.finish(nfa.union(parts)).withoutEpsilon();
    }

    /** Non-negative decimals I(.F)? in [lo, hi] (hi null: up to the digit limit); null when none. */
    private CharNfa.Frag magnitude(CharNfa nfa, Bound lo, Bound hi, int fraction) {
        BigInteger loInt = lo.value().setScale(0, RoundingMode.FLOOR).toBigIntegerExact();
        String loFrac = fractionDigits(lo.value());
        if (loInt.compareTo(INT_LIMIT) > 0) {
            return null;
        }
        List<CharNfa.Frag> parts = new ArrayList<>();
        if (hi != null) {
            if (hi.value().compareTo(lo.value()) < 0) {
                return null;
            }
            BigInteger hiInt = hi.value().setScale(0, RoundingMode.FLOOR).toBigIntegerExact();
            String hiFrac = fractionDigits(hi.value());
            if (hiInt.compareTo(INT_LIMIT) > 0) {
                hiInt = INT_LIMIT;
                hiFrac = "9".repeat(MAX_FRACTION_DIGITS);
                hi = new Bound(hi.value(), false);
            }
            if (hiInt.equals(loInt)) {
                CharNfa ge = fractionAtLeast(loFrac, lo.exclusive(), fraction);
                CharNfa le = fractionAtMost(hiFrac, hi.exclusive(), fraction);
                addWhole(nfa, parts, loInt, CharNfa.intersect(ge, le, budget));
                return parts.isEmpty() ? null : nfa.union(parts);
            }
            addWhole(nfa, parts, loInt, fractionAtLeast(loFrac, lo.exclusive(), fraction));
            if (hiInt.subtract(loInt).compareTo(BigInteger.ONE) > 0) {
                parts.add(nfa.concat(integerRange(nfa, loInt.add(BigInteger.ONE), hiInt.subtract(BigInteger.ONE)),
                        fractionPart(nfa, anyFraction(fraction))));
            }
            addWhole(nfa, parts, hiInt, fractionAtMost(hiFrac, hi.exclusive(), fraction));
        } else {
            addWhole(nfa, parts, loInt, fractionAtLeast(loFrac, lo.exclusive(), fraction));
            if (loInt.compareTo(INT_LIMIT) < 0) {
                parts.add(nfa.concat(integerRange(nfa, loInt.add(BigInteger.ONE), INT_LIMIT),
                        fractionPart(nfa, anyFraction(fraction))));
            }
        }
        return parts.isEmpty() ? null : nfa.union(parts);
    }

    /** Adds "I" followed by the fractions {@code frac} accepts, when it accepts any. */
    private void addWhole(CharNfa nfa, List<CharNfa.Frag> parts, BigInteger whole, CharNfa frac) {
        if (frac.nonEmpty()) {
            parts.add(nfa.concat(nfa.literal(whole.toString()), fractionPart(nfa, frac)));
        }
    }

    /** The digits after the point of a non-negative decimal, without trailing zeros ("" for integers). */
    private static String fractionDigits(BigDecimal v) {
        BigDecimal f = v.subtract(new BigDecimal(v.setScale(0, RoundingMode.FLOOR).toBigIntegerExact()))
                .stripTrailingZeros();
        if (f.signum() == 0) {
            return "";
        }
        String s = f.toPlainString();
        return s.substring(s.indexOf('.') + 1);
    }

    /** "" or "." followed by a non-empty digit string {@code frac} accepts (an ε-free automaton over digits). */
    private CharNfa.Frag fractionPart(CharNfa nfa, CharNfa frac) {
        int[] map = new int[frac.size()];
        for (int i = 0; i < map.length; i++) {
            map[i] = nfa.newState();
        }
        int start = nfa.newState();
        int end = nfa.newState();
        if (frac.accepting(frac.start)) {
            nfa.epsilon(start, end);
        }
        int afterDot = nfa.newState();
        nfa.edge(start, CharClass.of('.'), afterDot);
        // After the point at least one digit: leave frac's start through its edges only.
        for (Object[] e : frac.edges(frac.start)) {
            nfa.edge(afterDot, (CharClass) e[0], map[(Integer) e[1]]);
        }
        for (int s = 0; s < frac.size(); s++) {
            if (frac.accepting(s)) {
                nfa.epsilon(map[s], end);
            }
            for (Object[] e : frac.edges(s)) {
                nfa.edge(map[s], (CharClass) e[0], map[(Integer) e[1]]);
            }
        }
        return new CharNfa.Frag(start, end);
    }

    /** Digit strings of length 0..max. */
    private CharNfa anyFraction(int max) {
        CharNfa nfa = new CharNfa(budget);
        return nfa.finish(nfa.repeatChars(DIGIT, 0, max)).withoutEpsilon();
    }

    /**
     * Fraction digit strings F (length ≤ max) with 0.F ≥ 0.d (or > when strict), d without trailing zeros.
     * State i: F matched d's first i digits so far.
     */
    private CharNfa fractionAtLeast(String d, boolean strict, int max) {
        CharNfa nfa = new CharNfa(budget);
        int k = d.length();
        int[][] eq = new int[k + 1][max + 1];   // matched i digits of d, read j digits
        int[] gt = new int[max + 1];            // already greater after j digits
        for (int j = 0; j <= max; j++) {
            gt[j] = nfa.newState();
            nfa.accept(gt[j]);
            if (j > 0) {
                nfa.edge(gt[j - 1], DIGIT, gt[j]);
            }
        }
        for (int i = 0; i <= k; i++) {
            for (int j = 0; j <= max; j++) {
                eq[i][j] = i == j ? nfa.newState() : -1;
            }
        }
        for (int i = 0; i <= Math.min(k, max); i++) {
            int s = eq[i][i];
            if (i < k) {
                // Ending here: F followed by zeros is below d (d has a non-zero digit past i).
                if (i + 1 <= max) {
                    int digit = d.charAt(i) - '0';
                    nfa.edge(s, CharClass.range('0' + digit + 1, '9'), gt[i + 1]);
                    if (i + 1 <= k && eq[i + 1][i + 1] >= 0) {
                        nfa.edge(s, CharClass.of('0' + digit), eq[i + 1][i + 1]);
                    }
                }
            } else {
                // F equals d so far: equal now, greater once a later digit is non-zero.
                if (!strict) {
                    nfa.accept(s);
                }
                int at = s;
                for (int j = i; j < max; j++) {
                    int zero = nfa.newState();
                    if (!strict) {
                        nfa.accept(zero);
                    }
                    nfa.edge(at, CharClass.of('0'), zero);
                    nfa.edge(at, CharClass.range('1', '9'), gt[j + 1]);
                    at = zero;
                }
            }
        }
        nfa.start = eq[0][0];
        return nfa;
    }

    /** Fraction digit strings F (length ≤ max) with 0.F ≤ 0.d (or < when strict), d without trailing zeros. */
    private CharNfa fractionAtMost(String d, boolean strict, int max) {
        CharNfa nfa = new CharNfa(budget);
        int k = d.length();
        int[] lt = new int[max + 1];
        for (int j = 0; j <= max; j++) {
            lt[j] = nfa.newState();
            nfa.accept(lt[j]);
            if (j > 0) {
                nfa.edge(lt[j - 1], DIGIT, lt[j]);
            }
        }
        int[] eq = new int[Math.min(k, max) + 1];
        for (int i = 0; i < eq.length; i++) {
            eq[i] = nfa.newState();
        }
        for (int i = 0; i < eq.length; i++) {
            int s = eq[i];
            if (i < k) {
                // Ending here (rest zeros) is below d: accepted.
                nfa.accept(s);
                if (i + 1 <= max) {
                    int digit = d.charAt(i) - '0';
                    if (digit > 0) {
                        nfa.edge(s, CharClass.range('0', '0' + digit - 1), lt[i + 1]);
                    }
                    if (i + 1 < eq.length) {
                        nfa.edge(s, CharClass.of('0' + digit), eq[i + 1]);
                    }
                }
            } else {
                // Equal to d: only zeros may follow, and only when equality is allowed.
                if (!strict) {
                    nfa.accept(s);
                    int at = s;
                    for (int j = i; j < max; j++) {
                        int zero = nfa.newState();
                        nfa.accept(zero);
                        nfa.edge(at, CharClass.of('0'), zero);
                        at = zero;
                    }
                }
            }
        }
        nfa.start = eq[0];
        return nfa;
    }

    /** Integers in [a, b] (0 ≤ a ≤ b) as digit strings without leading zeros. */
    private CharNfa.Frag integerRange(CharNfa nfa, BigInteger a, BigInteger b) {
        List<CharNfa.Frag> parts = new ArrayList<>();
        int la = a.toString().length();
        int lb = b.toString().length();
        for (int len = la; len <= lb; len++) {
            BigInteger min = len == 1 ? BigInteger.ZERO : BigInteger.TEN.pow(len - 1);
            BigInteger max = BigInteger.TEN.pow(len).subtract(BigInteger.ONE);
            BigInteger lo = a.max(min);
            BigInteger hi = b.min(max);
            if (lo.compareTo(hi) <= 0) {
                parts.add(fixedRange(nfa, lo.toString(), hi.toString()));
            }
        }
        return nfa.union(parts);
    }

    /** Digit strings of one length between x and y (x ≤ y, same length). */
    private CharNfa.Frag fixedRange(CharNfa nfa, String x, String y) {
        if (x.isEmpty()) {
            return nfa.empty();
        }
        char x0 = x.charAt(0);
        char y0 = y.charAt(0);
        String xr = x.substring(1);
        String yr = y.substring(1);
        if (x0 == y0) {
            return nfa.concat(nfa.chars(CharClass.of(x0)), fixedRange(nfa, xr, yr));
        }
        if (xr.chars().allMatch(c -> c == '0') && yr.chars().allMatch(c -> c == '9')) {
            return nfa.concat(nfa.chars(CharClass.range(x0, y0)), nfa.repeatChars(DIGIT, xr.length(), xr.length()));
        }
        List<CharNfa.Frag> parts = new ArrayList<>();
        parts.add(nfa.concat(nfa.chars(CharClass.of(x0)), fixedRange(nfa, xr, "9".repeat(xr.length()))));
        if (x0 + 1 <= y0 - 1) {
            parts.add(nfa.concat(nfa.chars(CharClass.range(x0 + 1, y0 - 1)),
                    nfa.repeatChars(DIGIT, xr.length(), xr.length())));
        }
        parts.add(nfa.concat(nfa.chars(CharClass.of(y0)), fixedRange(nfa, "0".repeat(yr.length()), yr)));
        return nfa.union(parts);
    }

    /**
     * Numbers x (sign, integer digits, optionally a point and at most {@code maxFraction} digits) with x·10^n a
     * multiple of m: reading all digits as one integer D with j of them after the point, D·10^(n-j) ≡ 0 (mod m).
     */
    private CharNfa multiples(int m, int n, int maxFraction) {
        CharNfa nfa = new CharNfa(budget);
        // phase 0: integer digits; phase 1: after the point, no digit yet; phase 1 + j: j fraction digits read
        int[][] state = new int[maxFraction + 2][m];
        for (int p = 0; p < maxFraction + 2; p++) {
            for (int r = 0; r < m; r++) {
                state[p][r] = nfa.newState();
            }
        }
        int[] pow = new int[n + 1];
        pow[0] = 1 % m;
        for (int i = 1; i <= n; i++) {
            pow[i] = (int) ((long) pow[i - 1] * 10 % m);
        }
        int start = nfa.newState();
        nfa.edge(start, CharClass.of('-'), state[0][0]);
        for (int d = 0; d <= 9; d++) {
            nfa.edge(start, CharClass.of('0' + d), state[0][d % m]);
        }
        for (int r = 0; r < m; r++) {
            for (int d = 0; d <= 9; d++) {
                nfa.edge(state[0][r], CharClass.of('0' + d), state[0][(r * 10 + d) % m]);
            }
            if ((long) r * pow[n] % m == 0) {
                nfa.accept(state[0][r]);
            }
            if (maxFraction > 0) {
                nfa.edge(state[0][r], CharClass.of('.'), state[1][r]);
            }
            for (int j = 0; j <= maxFraction; j++) {
                int s = state[1 + j][r];
                if (j >= 1 && (long) r * pow[n - j] % m == 0) {
                    nfa.accept(s);
                }
                if (j < maxFraction) {
                    for (int d = 0; d <= 9; d++) {
                        nfa.edge(s, CharClass.of('0' + d), state[2 + j][(r * 10 + d) % m]);
                    }
                }
            }
        }
        nfa.start = start;
        return nfa;
    }
}
