package io.fairlane.gateway.lane.upstream;

import java.nio.charset.StandardCharsets;

/**
 * A pull reader of strict JSON over a byte array that allocates nothing: the relay's fast path reads every
 * streamed chunk with it, where a Jackson parser per event would be a dozen objects. It reads what Jackson reads
 * with the gateway's settings (RFC 8259: no comments, no leading zeros, no unescaped control characters in
 * strings, UTF-8 with well-formed continuation bytes, nesting at most 256 deep) and rejects some things Jackson
 * would take (a field name with an escape, a number over 1,000 characters, a line break between tokens, which
 * would break an event stream's framing if forwarded as it is): whatever it rejects goes to the full
 * path, which decides. Nothing is decoded: strings are compared and measured where they lie.
 *
 * <p>One instance per stream, reset for each chunk. Confined to one event loop.
 */
final class JsonBytes {

    static final int END = 0;
    static final int START_OBJECT = 1;
    static final int END_OBJECT = 2;
    static final int START_ARRAY = 3;
    static final int END_ARRAY = 4;
    static final int FIELD_NAME = 5;
    static final int STRING = 6;
    static final int INT = 7;
    static final int FLOAT = 8;
    static final int TRUE = 9;
    static final int FALSE = 10;
    static final int NULL = 11;

    /** Input that is not JSON this reader takes; the caller leaves the chunk to the full path. */
    static final class Malformed extends RuntimeException {
        private Malformed() {
            super("not JSON the fast path reads", null, false, false);
        }
    }

    static final Malformed MALFORMED = new Malformed();

    private static final int MAX_DEPTH = 256;
    private static final int MAX_NUMBER = 1000;

    private byte[] in;
    private int limit;
    private int pos;
    /** Per open container, a bit: set for an object, clear for an array. */
    private final long[] objects = new long[MAX_DEPTH / 64];
    private int depth;
    /** Whether the next thing in the open container is its first (no comma before it). */
    private boolean first;
    /** Whether a field name was read and its value is next. */
    private boolean valueNext;
    private boolean rootRead;
    private int token;
    private int tokenStart;
    private int tokenEnd;
    /** For a string: whether it holds an escape, and its length in UTF-16 units once decoded. */
    private boolean escaped;
    private int textLength;

    /** Starts reading {@code json[0, length)}. */
    void reset(byte[] json, int length) {
        in = json;
        limit = length;
        pos = 0;
        depth = 0;
        first = true;
        valueNext = false;
        rootRead = false;
        token = END;
    }

    /** The next token; {@link #END} after the root value when only whitespace follows. */
    int next() {
        skipSpace();
        if (depth == 0) {
            if (rootRead) {
                if (pos != limit) {
                    throw MALFORMED;
                }
                return token = END;
            }
            rootRead = true;
            return value();
        }
        if (pos >= limit) {
            throw MALFORMED;
        }
        byte c = in[pos];
        if (inObject()) {
            if (valueNext) {
                valueNext = false;
                return value();
            }
            if (c == '}') {
                return close(END_OBJECT); // after a comma, the name check below rejects it
            }
            if (!first) {
                if (c != ',') {
                    throw MALFORMED;
                }
                pos++;
                skipSpace();
                if (pos >= limit) {
                    throw MALFORMED;
                }
                c = in[pos];
            }
            if (c != '"') {
                throw MALFORMED;
            }
            string();
            if (escaped) {
                throw MALFORMED; // a name that only decoding would reveal: left to Jackson
            }
            first = false;
            skipSpace();
            if (pos >= limit || in[pos] != ':') {
                throw MALFORMED;
            }
            pos++;
            valueNext = true;
            return token = FIELD_NAME;
        }
        if (c == ']') {
            return close(END_ARRAY); // after a comma, value() rejects it
        }
        if (!first) {
            if (c != ',') {
                throw MALFORMED;
            }
            pos++;
            skipSpace();
        }
        first = false;
        return value();
    }

    private boolean inObject() {
        int d = depth - 1;
        return (objects[d >> 6] & 1L << (d & 63)) != 0;
    }

    private int close(int kind) {
        tokenStart = pos;
        tokenEnd = ++pos;
        depth--;
        first = false;
        return token = kind;
    }

    private int value() {
        if (pos >= limit) {
            throw MALFORMED;
        }
        tokenStart = pos;
        byte c = in[pos];
        switch (c) {
            case '{', '[' -> {
                if (depth == MAX_DEPTH) {
                    throw MALFORMED;
                }
                long bit = 1L << (depth & 63);
                objects[depth >> 6] = c == '{' ? objects[depth >> 6] | bit : objects[depth >> 6] & ~bit;
                depth++;
                first = true;
                tokenEnd = ++pos;
                return token = c == '{' ? START_OBJECT : START_ARRAY;
            }
            case '"' -> {
                string();
                return token = STRING;
            }
            case 't' -> {
                return literal("true", TRUE);
            }
            case 'f' -> {
                return literal("false", FALSE);
            }
            case 'n' -> {
                return literal("null", NULL);
            }
            default -> {
                return number();
            }
        }
    }

    private int literal(String word, int kind) {
        int n = word.length();
        if (limit - pos < n) {
            throw MALFORMED;
        }
        for (int i = 1; i < n; i++) {
            if (in[pos + i] != word.charAt(i)) {
                throw MALFORMED;
            }
        }
        pos += n;
        tokenEnd = pos;
        return token = kind;
    }

    /** {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?}, nothing else. */
    private int number() {
        int p = pos;
        if (p < limit && in[p] == '-') {
            p++;
        }
        if (p >= limit || !digit(in[p])) {
            throw MALFORMED;
        }
        if (in[p] == '0') {
            p++;
            if (p < limit && digit(in[p])) {
                throw MALFORMED;
            }
        } else {
            p = digits(p);
        }
        boolean integer = true;
        if (p < limit && in[p] == '.') {
            integer = false;
            p++;
            if (p >= limit || !digit(in[p])) {
                throw MALFORMED;
            }
            p = digits(p);
        }
        if (p < limit && (in[p] == 'e' || in[p] == 'E')) {
            integer = false;
            p++;
            if (p < limit && (in[p] == '+' || in[p] == '-')) {
                p++;
            }
            if (p >= limit || !digit(in[p])) {
                throw MALFORMED;
            }
            p = digits(p);
        }
        if (p - pos > MAX_NUMBER) {
            throw MALFORMED;
        }
        pos = p;
        tokenEnd = p;
        return token = integer ? INT : FLOAT;
    }

    private int digits(int p) {
        while (p < limit && digit(in[p])) {
            p++;
        }
        return p;
    }

    private static boolean digit(byte b) {
        return b >= '0' && b <= '9';
    }

    /** Reads the string at {@code pos} (its opening quote), checking its escapes and UTF-8. */
    private void string() {
        tokenStart = pos;
        long body = body(in, pos + 1, limit);
        int end = (int) (body >>> 32);
        if (body < 0 || end >= limit) {
            throw MALFORMED; // no closing quote before the end
        }
        pos = end + 1;
        tokenEnd = pos;
        escaped = (body & ESCAPED) != 0;
        textLength = (int) (body & UNITS);
    }

    /**
     * The length in UTF-16 units of the string body {@code in[from, to)} (what lies between a string's quotes), by
     * the rules {@link #next()} reads strings with; -1 when it is not exactly one string's body: a quote that
     * would end it early, an escape running past its end, a control character, or UTF-8 that is not well formed.
     */
    static int bodyUnits(byte[] in, int from, int to) {
        long body = body(in, from, to);
        return body < 0 || (int) (body >>> 32) != to ? -1 : (int) (body & UNITS);
    }

    private static final long ESCAPED = 1L << 31;
    private static final long UNITS = ESCAPED - 1;

    /**
     * Reads a string body from {@code from} to its closing quote, or to {@code limit} when none comes first: -1
     * when an escape, a control character or the UTF-8 is bad (or an escape or character runs past {@code limit});
     * else where it stopped (the quote's index, or {@code limit}) in the high 32 bits, {@link #ESCAPED} when it held
     * an escape, and its length in UTF-16 units in the low bits.
     */
    private static long body(byte[] in, int from, int limit) {
        int p = from;
        boolean esc = false;
        int units = 0;
        while (p < limit) {
            int b = in[p];
            if (b == '"') {
                break;
            }
            if (b >= 0x20 && b != '\\') {
                p++;
                units++;
                continue;
            }
            if (b == '\\') {
                esc = true;
                if (p + 1 >= limit) {
                    return -1;
                }
                switch (in[p + 1]) {
                    case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> p += 2;
                    case 'u' -> {
                        if (p + 6 > limit || !hex(in[p + 2]) || !hex(in[p + 3]) || !hex(in[p + 4]) || !hex(in[p + 5])) {
                            return -1;
                        }
                        p += 6;
                    }
                    default -> {
                        return -1;
                    }
                }
                units++;
                continue;
            }
            if (b >= 0) {
                return -1; // an unescaped control character
            }
            int lead = b & 0xFF;
            int more = lead >= 0xC0 && lead <= 0xDF ? 1 : lead >= 0xE0 && lead <= 0xEF ? 2 : lead >= 0xF0 && lead <= 0xF4 ? 3 : -1;
            if (more < 0 || p + more >= limit) {
                return -1;
            }
            for (int i = 1; i <= more; i++) {
                if ((in[p + i] & 0xC0) != 0x80) {
                    return -1;
                }
            }
            p += more + 1;
            units += more == 3 ? 2 : 1; // beyond the BMP: a surrogate pair
        }
        return (long) p << 32 | (esc ? ESCAPED : 0) | units;
    }

    private static boolean hex(byte b) {
        return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F';
    }

    private void skipSpace() {
        while (pos < limit) {
            byte b = in[pos];
            if (b != ' ' && b != '\t') {
                return;
            }
            pos++;
        }
    }

    /** Skips the object or array just started, to its end; nothing for any other token. */
    void skipChildren() {
        if (token != START_OBJECT && token != START_ARRAY) {
            return;
        }
        int level = depth - 1;
        while (depth > level) {
            next();
        }
    }

    /** Where the current token starts (a string's opening quote) and ends (after its closing quote). */
    int tokenStart() {
        return tokenStart;
    }

    int tokenEnd() {
        return tokenEnd;
    }

    /** Whether the current name or string holds an escape (then its bytes are not its text). */
    boolean escaped() {
        return escaped;
    }

    /** The current string's length in UTF-16 units once decoded, as Java and Jackson count text. */
    int textLength() {
        return textLength;
    }

    /** Whether the current name or unescaped string is exactly {@code ascii}. */
    boolean is(byte[] ascii) {
        int n = tokenEnd - tokenStart - 2;
        if (n != ascii.length) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (in[tokenStart + 1 + i] != ascii[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the current name or unescaped string is exactly {@code text}, compared without encoding it: false
     * for a {@code text} beyond ASCII, which callers treat as "not known to be equal".
     */
    boolean isAscii(String text) {
        int n = tokenEnd - tokenStart - 2;
        if (n != text.length()) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c >= 0x80 || in[tokenStart + 1 + i] != c) {
                return false;
            }
        }
        return true;
    }

    /** The current unescaped string's text. */
    String text() {
        return new String(in, tokenStart + 1, tokenEnd - tokenStart - 2, StandardCharsets.UTF_8);
    }

    /** Whether the current {@link #INT} fits an int. */
    boolean fitsInt() {
        int n = tokenEnd - tokenStart;
        if (n < 10 || n == 10 && in[tokenStart] == '-') {
            return true;
        }
        long v = longValue();
        return v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
    }

    /** The current {@link #INT} as an int; {@link #MALFORMED} when it does not fit one. */
    int intValue() {
        if (!fitsInt()) {
            throw MALFORMED;
        }
        return (int) longValue();
    }

    private long longValue() {
        int p = tokenStart;
        boolean negative = in[p] == '-';
        if (negative) {
            p++;
        }
        if (tokenEnd - p > 18) {
            return negative ? Long.MIN_VALUE : Long.MAX_VALUE; // beyond any int: the caller only needs that
        }
        long v = 0;
        for (; p < tokenEnd; p++) {
            v = v * 10 + (in[p] - '0');
        }
        return negative ? -v : v;
    }
}
