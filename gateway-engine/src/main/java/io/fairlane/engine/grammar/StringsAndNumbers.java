package io.fairlane.engine.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;

/**
 * Strings and numbers. Each becomes a call of a shared lexeme rule ({@link GrammarBuilder#lexeme}) named by its
 * constraints ({@code string}, {@code string|pattern|format|min|max}, {@code number|bounds|step}), so that its
 * token masks are computed once per vocabulary for every grammar that uses the same lexeme. A string's
 * {@code pattern} ({@link Regex}), {@code format} ({@link Formats}) and length bounds are one character automaton,
 * intersected, so a length bound is never dropped beside a pattern; a string with only length bounds is marked as
 * a counted copy of the unbounded string, whose masks it derives. Numbers are digit-string automata
 * ({@link NumberLanguage}) for {@code minimum}, {@code maximum}, the exclusive bounds and {@code multipleOf}.
 *
 * <p>Also answers whether an enum or const string or number meets those same keywords, so that literals are
 * judged by the automata and bounds the grammar itself would use.
 *
 * <p>Holds the compilation's budget and rules, nothing of its own; confined to the compiling thread.
 */
final class StringsAndNumbers {

    /** Every Unicode scalar value: the code points a JSON string may hold (no lone surrogates). */
    private static final CharClass SCALAR_VALUES = CharClass.ALL.minus(CharClass.range(0xD800, 0xDFFF));

    private final CompileBudget budget;
    private final GrammarBuilder rules;

    StringsAndNumbers(CompileBudget budget, GrammarBuilder rules) {
        this.budget = budget;
        this.rules = rules;
    }

    // ---- strings

    /** A string: its opening quote, then a call of the lexeme rule for its body and closing quote. */
    ByteNfa.Frag string(ByteNfa nfa, JsonNode schema, String ptr) {
        int min = SchemaKeywords.count(schema, "minLength", ptr, 0);
        int max = SchemaKeywords.count(schema, "maxLength", ptr, -1);
        if (max >= 0 && max < min) {
            throw new SchemaException("maxLength is below minLength", "maxLength", ptr);
        }
        String pattern = SchemaKeywords.text(schema, "pattern", ptr);
        String format = SchemaKeywords.text(schema, "format", ptr);
        if (format != null && !Formats.supported(format)) {
            throw new SchemaException("format '" + format + "' is not supported; supported: "
                    + new java.util.TreeSet<>(Formats.PATTERNS.keySet()), "format", ptr);
        }
        int rule;
        if (pattern == null && format == null && min == 0 && max < 0) {
            rule = freeString();
        } else {
            String key = "string|" + (pattern == null ? "" : pattern.length() + ":" + pattern) + "|"
                    + (format == null ? "" : format) + "|" + min + "|" + max;
            CharNfa chars = stringChars(schema, ptr);
            if (!chars.nonEmpty()) {
                throw new SchemaException("no string satisfies pattern, format and length bounds together",
                        pattern != null ? "pattern" : format != null ? "format" : "minLength", ptr);
            }
            rule = rules.lexeme(key, b -> b.seq(b.jsonChars(chars), b.literal("\"")));
            if (pattern == null && format == null && max >= 0) {
                int base = rules.lexeme("string|||0|-1", b -> {
                    CharNfa unbounded = new CharNfa(budget);
                    unbounded = unbounded.finish(unbounded.repeatChars(SCALAR_VALUES, 0, -1)).withoutEpsilon();
                    return b.seq(b.jsonChars(unbounded), b.literal("\""));
                });
                rules.counted(rule, base, min, max);
            }
        }
        return nfa.seq(nfa.literal("\""), nfa.call(rule));
    }

    /** The characters of a string with pattern, format and length bounds, as one ε-free automaton. */
    private CharNfa stringChars(JsonNode schema, String ptr) {
        int min = SchemaKeywords.count(schema, "minLength", ptr, 0);
        int max = SchemaKeywords.count(schema, "maxLength", ptr, -1);
        String pattern = SchemaKeywords.text(schema, "pattern", ptr);
        String format = SchemaKeywords.text(schema, "format", ptr);
        CharNfa chars = null;
        if (pattern != null) {
            chars = Regex.compile(pattern, ptr, budget);
        }
        if (format != null) {
            CharNfa f = Formats.compile(format, ptr, budget);
            chars = chars == null ? f : CharNfa.intersect(chars, f, budget);
        }
        if (min > 0 || max >= 0 || chars == null) {
            if (max > Regex.MAX_REPEAT * 10 || min > Regex.MAX_REPEAT * 10) {
                throw new SchemaException("length bounds above " + Regex.MAX_REPEAT * 10 + " are not supported",
                        max > Regex.MAX_REPEAT * 10 ? "maxLength" : "minLength", ptr);
            }
            CharNfa length = new CharNfa(budget);
            length = length.finish(length.repeatChars(SCALAR_VALUES, min, max)).withoutEpsilon();
            chars = chars == null ? length : CharNfa.intersect(chars, length, budget);
        }
        return chars;
    }

    /**
     * The body of any JSON string after its opening quote, through the closing quote: raw UTF-8 (no control
     * characters), the short escapes and backslash-u escapes for anything but a surrogate.
     */
    int freeString() {
        return rules.lexeme("string", b -> {
            int body = b.newState();
            int end = b.newState();
            CharClass raw = CharClass.range(0x20, CharClass.MAX).minus(CharClass.chars("\"\\"));
            b.charEdge(body, raw, body);
            int esc = b.newState();
            b.bytes(body, '\\', '\\', esc);
            for (char c : "\"\\/bfnrt".toCharArray()) {
                b.bytes(esc, c, c, body);
            }
            int u = b.newState();
            b.bytes(esc, 'u', 'u', u);
            int h2 = b.newState();
            int h3 = b.newState();
            int h4 = b.newState();
            hex(b, u, h2, "0123456789abcefABCEF");
            int d = b.newState();
            b.bytes(u, 'd', 'd', d);
            b.bytes(u, 'D', 'D', d);
            hex(b, d, h3, "01234567");
            hex(b, h2, h3, "0123456789abcdefABCDEF");
            hex(b, h3, h4, "0123456789abcdefABCDEF");
            hex(b, h4, body, "0123456789abcdefABCDEF");
            b.bytes(body, '"', '"', end);
            return new ByteNfa.Frag(body, end);
        });
    }

    private static void hex(ByteNfa b, int from, int to, String digits) {
        for (char c : digits.toCharArray()) {
            b.bytes(from, c, c, to);
        }
    }

    /** Whether an enum or const string meets the pattern, format and length bounds beside it. */
    boolean stringMeets(String text, JsonNode schema, String ptr) {
        return stringChars(schema, ptr).matches(text);
    }

    // ---- numbers

    /** A number or integer: a call of the lexeme rule for its bounds and step. */
    ByteNfa.Frag number(ByteNfa nfa, JsonNode schema, String ptr, boolean integer) {
        NumberLanguage.Bound lo = lowerBound(schema, ptr);
        NumberLanguage.Bound hi = upperBound(schema, ptr);
        BigDecimal step = SchemaKeywords.decimal(schema, "multipleOf", ptr);
        String key = (integer ? "integer|" : "number|") + key(lo) + "|" + key(hi) + "|"
                + (step == null ? "" : step.stripTrailingZeros().toPlainString());
        CharNfa chars = NumberLanguage.compile(integer, lo, hi, step, ptr, budget);
        int rule = rules.lexeme(key, b -> b.jsonChars(chars));
        return nfa.call(rule);
    }

    /** Any JSON number: the lexeme rule of a number without bounds, as the any-value rule uses it. */
    int anyNumber() {
        return rules.lexeme("number||||", b -> b.jsonChars(NumberLanguage.compile(false, null, null, null, "",
                budget)));
    }

    /** Whether an enum or const number meets the bounds and step beside it. */
    static boolean numberMeets(BigDecimal x, JsonNode schema, String ptr) {
        NumberLanguage.Bound lo = lowerBound(schema, ptr);
        NumberLanguage.Bound hi = upperBound(schema, ptr);
        if (lo != null && (lo.exclusive() ? x.compareTo(lo.value()) <= 0 : x.compareTo(lo.value()) < 0)) {
            return false;
        }
        if (hi != null && (hi.exclusive() ? x.compareTo(hi.value()) >= 0 : x.compareTo(hi.value()) > 0)) {
            return false;
        }
        BigDecimal step = SchemaKeywords.decimal(schema, "multipleOf", ptr);
        return step == null || step.signum() > 0 && x.remainder(step).signum() == 0;
    }

    private static String key(NumberLanguage.Bound b) {
        return b == null ? "" : (b.exclusive() ? "(" : "[") + b.value().stripTrailingZeros().toPlainString();
    }

    private static NumberLanguage.Bound lowerBound(JsonNode schema, String ptr) {
        return bound(schema, ptr, "minimum", "exclusiveMinimum", true);
    }

    private static NumberLanguage.Bound upperBound(JsonNode schema, String ptr) {
        return bound(schema, ptr, "maximum", "exclusiveMaximum", false);
    }

    private static NumberLanguage.Bound bound(JsonNode schema, String ptr, String inclusive, String exclusive,
                                              boolean lower) {
        BigDecimal in = SchemaKeywords.decimal(schema, inclusive, ptr);
        JsonNode ex = schema.get(exclusive);
        if (ex != null && ex.isBoolean()) {
            throw new SchemaException(exclusive + " must be a number (the draft-04 boolean form is not supported)",
                    exclusive, ptr);
        }
        BigDecimal exv = SchemaKeywords.decimal(schema, exclusive, ptr);
        if (in == null && exv == null) {
            return null;
        }
        if (in == null) {
            return new NumberLanguage.Bound(exv, true);
        }
        if (exv == null) {
            return new NumberLanguage.Bound(in, false);
        }
        int c = exv.compareTo(in);
        boolean exclusiveTighter = lower ? c >= 0 : c <= 0;
        return exclusiveTighter ? new NumberLanguage.Bound(exv, true) : new NumberLanguage.Bound(in, false);
    }
}
