package io.fairlane.engine.sampling;

import io.fairlane.engine.OutputConstraint;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Recognises the byte language of an {@link OutputConstraint}, one byte at a time: a fixed program of segments
 * (literal text, a choice among names, a JSON object), the last of which is a pushdown automaton for JSON.
 * {@link #accept(int)} answers whether a byte keeps the text a prefix of some complete sentence, and advances;
 * {@link #complete()} whether the text read so far is a complete sentence.
 *
 * <p>The whole state is a handful of ints and one long (the object/array stack as bits, hence
 * {@link OutputConstraint#MAX_DEPTH} ≤ 64), so trying a token is {@link #copyFrom} plus its bytes, with no
 * allocation. Each piece of the JSON grammar is decided by the next byte alone, with one exception handled
 * in place: a number ends at the first byte that cannot continue it, which is then read as what follows the
 * number.
 *
 * <p>Mutable; confined to one thread.
 */
final class ByteAutomaton {

    /** A compiled, immutable program. */
    static final class Program {
        final byte[][] literals;   // per segment: the literal's bytes, or null
        final NameTrie[] choices;  // per segment: the names' trie, or null
        final int length;          // segments; the JSON object is the segment where both are null

        private Program(List<Object> segments) {
            length = segments.size();
            literals = new byte[length][];
            choices = new NameTrie[length];
            for (int i = 0; i < length; i++) {
                switch (segments.get(i)) {
                    case byte[] b -> literals[i] = b;
                    case NameTrie t -> choices[i] = t;
                    default -> {
                        // the JSON object
                    }
                }
            }
        }

        static Program of(OutputConstraint constraint) {
            Objects.requireNonNull(constraint, "constraint");
            List<Object> segments = new ArrayList<>();
            switch (constraint) {
                case OutputConstraint.JsonObject j -> segments.add(JSON);
                case OutputConstraint.JsonSchema s ->
                        throw new IllegalArgumentException("a JSON Schema is enforced by a grammar, not this automaton");
                case OutputConstraint.ToolCall c -> {
                    segments.add(utf8(OutputConstraint.ToolCall.NAME_PREFIX));
                    segments.add(new NameTrie(c.names()));
                    segments.add(utf8(OutputConstraint.ToolCall.ARGUMENTS_PREFIX));
                    segments.add(JSON);
                    segments.add(utf8(OutputConstraint.ToolCall.SUFFIX));
                }
            }
            return new Program(segments);
        }

        private static final Object JSON = new Object();

        private static byte[] utf8(String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
    }

    /**
     * The names of a choice as a trie over bytes. Names never hold a {@code "}, which is what follows them,
     * so at a node that ends a name a byte that is no child's label ends the choice unambiguously.
     */
    static final class NameTrie {
        private final List<byte[]> labels = new ArrayList<>();
        private final List<int[]> targets = new ArrayList<>();
        private final List<Boolean> terminal = new ArrayList<>();

        NameTrie(List<String> names) {
            node();
            for (String name : names) {
                int at = 0;
                for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
                    int next = child(at, b);
                    if (next < 0) {
                        next = node();
                        byte[] l = labels.get(at);
                        int[] t = targets.get(at);
                        byte[] l2 = java.util.Arrays.copyOf(l, l.length + 1);
                        int[] t2 = java.util.Arrays.copyOf(t, t.length + 1);
                        l2[l.length] = b;
                        t2[t.length] = next;
                        labels.set(at, l2);
                        targets.set(at, t2);
                    }
                    at = next;
                }
                terminal.set(at, true);
            }
        }

        private int node() {
            labels.add(new byte[0]);
            targets.add(new int[0]);
            terminal.add(false);
            return labels.size() - 1;
        }

        int child(int node, byte b) {
            byte[] l = labels.get(node);
            for (int i = 0; i < l.length; i++) {
                if (l[i] == b) {
                    return targets.get(node)[i];
                }
            }
            return -1;
        }

        boolean terminal(int node) {
            return terminal.get(node);
        }
    }

    // JSON modes.
    private static final int VALUE = 0;          // a value must start
    private static final int ARRAY_FIRST = 1;    // after '[': a value or ']'
    private static final int OBJECT_FIRST = 2;   // after '{': a key or '}'
    private static final int KEY = 3;            // after ',' in an object: a key
    private static final int COLON = 4;          // after a key
    private static final int AFTER_VALUE = 5;    // ',' or the closer of the innermost container
    private static final int STRING = 6;
    private static final int ESCAPE = 7;         // after '\'
    private static final int UNICODE = 8;        // aux hex digits of \\uXXXX still to come
    private static final int UTF8 = 9;           // aux continuation bytes to come, the next in [lo, hi]
    private static final int WORD = 10;          // inside true/false/null: aux = word * 8 + position
    private static final int NUM_MINUS = 11;     // after '-'
    private static final int NUM_ZERO = 12;      // integer part "0" (complete)
    private static final int NUM_INT = 13;       // integer digits (complete)
    private static final int NUM_DOT = 14;       // after '.'
    private static final int NUM_FRAC = 15;      // fraction digits (complete)
    private static final int NUM_EXP = 16;       // after 'e' / 'E'
    private static final int NUM_EXP_SIGN = 17;  // after the exponent's sign
    private static final int NUM_EXP_DIGITS = 18; // exponent digits (complete)

    private static final byte[][] WORDS = {
        "true".getBytes(StandardCharsets.US_ASCII),
        "false".getBytes(StandardCharsets.US_ASCII),
        "null".getBytes(StandardCharsets.US_ASCII)};

    private final Program program;
    private int segment;    // == program.length once complete
    private int offset;     // literal position, or trie node
    private int mode;
    private long stack;     // bit d: the container at depth d is an object
    private int depth;
    private int aux;
    private int lo;
    private int hi;
    private boolean key;    // the string being read is an object key
    private int whitespace; // whitespace bytes in a row

    ByteAutomaton(Program program) {
        this.program = Objects.requireNonNull(program, "program");
        startSegment();
    }

    void copyFrom(ByteAutomaton o) {
        segment = o.segment;
        offset = o.offset;
        mode = o.mode;
        stack = o.stack;
        depth = o.depth;
        aux = o.aux;
        lo = o.lo;
        hi = o.hi;
        key = o.key;
        whitespace = o.whitespace;
    }

    /** Whether the bytes read so far form a complete sentence. */
    boolean complete() {
        return segment == program.length;
    }

    /** Reads {@code b} (0..255): false, leaving the state unspecified, when no sentence continues this way. */
    boolean accept(int b) {
        if (segment == program.length) {
            return false;
        }
        byte[] literal = program.literals[segment];
        if (literal != null) {
            if (literal[offset] != (byte) b) {
                return false;
            }
            if (++offset == literal.length) {
                nextSegment();
            }
            return true;
        }
        NameTrie names = program.choices[segment];
        if (names != null) {
            int child = names.child(offset, (byte) b);
            if (child >= 0) {
                offset = child;
                return true;
            }
            if (!names.terminal(offset)) {
                return false;
            }
            nextSegment();
            return accept(b);
        }
        return json(b);
    }

    private void nextSegment() {
        segment++;
        startSegment();
    }

    private void startSegment() {
        offset = 0;
        mode = VALUE;
        depth = 0;
        stack = 0;
        whitespace = 0;
    }

    private boolean json(int b) {
        switch (mode) {
            case STRING -> {
                return string(b);
            }
            case ESCAPE -> {
                if (b == '"' || b == '\\' || b == '/' || b == 'b' || b == 'f' || b == 'n' || b == 'r' || b == 't') {
                    mode = STRING;
                    return true;
                }
                if (b == 'u') {
                    mode = UNICODE;
                    aux = 4;
                    return true;
                }
                return false;
            }
            case UNICODE -> {
                if (!isHex(b)) {
                    return false;
                }
                if (--aux == 0) {
                    mode = STRING;
                }
                return true;
            }
            case UTF8 -> {
                if (b < lo || b > hi) {
                    return false;
                }
                lo = 0x80;
                hi = 0xBF;
                if (--aux == 0) {
                    mode = STRING;
                }
                return true;
            }
            case WORD -> {
                byte[] word = WORDS[aux >> 3];
                int pos = aux & 7;
                if (word[pos] != b) {
                    return false;
                }
                if (pos + 1 == word.length) {
                    valueDone();
                } else {
                    aux++;
                }
                return true;
            }
            case NUM_MINUS -> {
                return startInteger(b);
            }
            case NUM_DOT -> {
                if (!isDigit(b)) {
                    return false;
                }
                mode = NUM_FRAC;
                return true;
            }
            case NUM_EXP -> {
                if (b == '+' || b == '-') {
                    mode = NUM_EXP_SIGN;
                    return true;
                }
                if (!isDigit(b)) {
                    return false;
                }
                mode = NUM_EXP_DIGITS;
                return true;
            }
            case NUM_EXP_SIGN -> {
                if (!isDigit(b)) {
                    return false;
                }
                mode = NUM_EXP_DIGITS;
                return true;
            }
            case NUM_ZERO, NUM_INT, NUM_FRAC, NUM_EXP_DIGITS -> {
                return number(b);
            }
            default -> {
                return structural(b);
            }
        }
    }

    private boolean number(int b) {
        if (isDigit(b) && mode != NUM_ZERO) {
            return true; // NUM_INT, NUM_FRAC and NUM_EXP_DIGITS take more digits
        }
        if (b == '.' && (mode == NUM_ZERO || mode == NUM_INT)) {
            mode = NUM_DOT;
            return true;
        }
        if ((b == 'e' || b == 'E') && mode != NUM_EXP_DIGITS) {
            mode = NUM_EXP;
            return true;
        }
        if (isDigit(b)) {
            return false; // a leading zero takes no digits after it
        }
        // The number is complete; b is whatever follows it. (The top level is an object, so depth > 0 here.)
        valueDone();
        return structural(b);
    }

    private boolean startInteger(int b) {
        if (b == '0') {
            mode = NUM_ZERO;
            return true;
        }
        if (b >= '1' && b <= '9') {
            mode = NUM_INT;
            return true;
        }
        return false;
    }

    private boolean string(int b) {
        if (b == '"') {
            if (key) {
                mode = COLON;
            } else {
                valueDone();
            }
            return true;
        }
        if (b == '\\') {
            mode = ESCAPE;
            return true;
        }
        if (b < 0x20) {
            return false;
        }
        if (b < 0x80) {
            return true;
        }
        // UTF-8 lead bytes, with the ranges that rule out overlong forms, surrogates and code points past U+10FFFF.
        lo = 0x80;
        hi = 0xBF;
        if (b >= 0xC2 && b <= 0xDF) {
            aux = 1;
        } else if (b == 0xE0) {
            aux = 2;
            lo = 0xA0;
        } else if (b >= 0xE1 && b <= 0xEF) {
            aux = 2;
            if (b == 0xED) {
                hi = 0x9F;
            }
        } else if (b == 0xF0) {
            aux = 3;
            lo = 0x90;
        } else if (b >= 0xF1 && b <= 0xF3) {
            aux = 3;
        } else if (b == 0xF4) {
            aux = 3;
            hi = 0x8F;
        } else {
            return false;
        }
        mode = UTF8;
        return true;
    }

    /** Bytes between tokens: whitespace, punctuation, and the first byte of a value. */
    private boolean structural(int b) {
        if (b == ' ' || b == '\t' || b == '\n' || b == '\r') {
            if (depth == 0 || whitespace >= OutputConstraint.MAX_WHITESPACE_RUN) {
                return false;
            }
            whitespace++;
            return true;
        }
        whitespace = 0;
        switch (mode) {
            case VALUE -> {
                return valueStart(b);
            }
            case ARRAY_FIRST -> {
                if (b == ']') {
                    depth--;
                    valueDone();
                    return true;
                }
                return valueStart(b);
            }
            case OBJECT_FIRST -> {
                if (b == '}') {
                    depth--;
                    valueDone();
                    return true;
                }
                return keyStart(b);
            }
            case KEY -> {
                return keyStart(b);
            }
            case COLON -> {
                if (b != ':') {
                    return false;
                }
                mode = VALUE;
                return true;
            }
            case AFTER_VALUE -> {
                boolean inObject = inObject();
                if (b == ',') {
                    mode = inObject ? KEY : VALUE;
                    return true;
                }
                if (b == (inObject ? '}' : ']')) {
                    depth--;
                    valueDone();
                    return true;
                }
                return false;
            }
            default -> throw new IllegalStateException("mode " + mode);
        }
    }

    private boolean keyStart(int b) {
        if (b != '"') {
            return false;
        }
        mode = STRING;
        key = true;
        return true;
    }

    private boolean valueStart(int b) {
        if (depth == 0 && b != '{') {
            return false; // the top level is an object
        }
        switch (b) {
            case '{', '[' -> {
                if (depth == OutputConstraint.MAX_DEPTH) {
                    return false;
                }
                if (b == '{') {
                    stack |= 1L << depth;
                } else {
                    stack &= ~(1L << depth);
                }
                depth++;
                mode = b == '{' ? OBJECT_FIRST : ARRAY_FIRST;
                return true;
            }
            case '"' -> {
                mode = STRING;
                key = false;
                return true;
            }
            case '-' -> {
                mode = NUM_MINUS;
                return true;
            }
            case 't', 'f', 'n' -> {
                mode = WORD;
                aux = (b == 't' ? 0 : b == 'f' ? 1 : 2) * 8 + 1;
                return true;
            }
            default -> {
                return startInteger(b);
            }
        }
    }

    /** A value (or a container, after its depth was popped) has ended. */
    private void valueDone() {
        if (depth == 0) {
            nextSegment();
        } else {
            mode = AFTER_VALUE;
        }
    }

    private boolean inObject() {
        return (stack >>> (depth - 1) & 1L) != 0;
    }

    private static boolean isDigit(int b) {
        return b >= '0' && b <= '9';
    }

    private static boolean isHex(int b) {
        return isDigit(b) || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
    }

    @Override
    public String toString() {
        return "ByteAutomaton[segment " + segment + "/" + program.length + ", depth " + depth + "]";
    }
}
