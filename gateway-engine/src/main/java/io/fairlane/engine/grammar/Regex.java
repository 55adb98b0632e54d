package io.fairlane.engine.grammar;

import java.util.ArrayList;
import java.util.List;

/**
 * The subset of ECMA-262 regular expressions that JSON Schema's {@code pattern} uses in practice, compiled to a
 * {@link CharNfa} over code points. Supported: literals; {@code .} (any character but a line terminator);
 * classes {@code [...]} and {@code [^...]} with ranges; the escapes {@code \d \D \w \W \s \S \t \n \r \f \v \0},
 * {@code \xHH}, backslash-u with four hex digits, {@code \cX} and escaped syntax characters; groups {@code (...)}, {@code (?:...)},
 * {@code (?<name>...)}; alternation; the quantifiers {@code * + ? {n} {n,} {n,m}} and their lazy forms (same
 * language); {@code ^} and {@code $} at the start and end of the pattern or of its top-level alternatives.
 * Refused, naming the construct: backreferences, lookaround, word boundaries, Unicode property escapes and
 * anchors anywhere else. A regular language cannot express the first three, and without the {@code u} flag
 * the last is rarely meant.
 *
 * <p>JSON Schema patterns are not anchored: {@code "pattern": "ab"} matches any string containing "ab". The
 * automaton built here accepts exactly the strings the pattern matches somewhere, as a validator tests them.
 */
final class Regex {

    /** The parsed form. */
    private sealed interface Node {
    }

    private record Chars(CharClass cls) implements Node {
    }

    private record Seq(List<Node> items) implements Node {
    }

    private record Alt(List<Node> alternatives) implements Node {
    }

    private record Repeat(Node node, int min, int max) implements Node { // max -1: unbounded
    }

    private record Anchor(boolean start) implements Node {
    }

    /** Larger repetition counts are refused: an automaton for them is as large as the count. */
    static final int MAX_REPEAT = 1000;

    static final CharClass DIGIT = CharClass.range('0', '9');
    static final CharClass WORD = CharClass.range('a', 'z').union(CharClass.range('A', 'Z')).union(DIGIT)
            .union(CharClass.of('_'));
    static final CharClass SPACE = CharClass.chars("\t\n\u000B\f\r \u00A0\u1680\u2028\u2029\u202F\u205F\u3000\uFEFF")
            .union(CharClass.range(0x2000, 0x200A));
    static final CharClass LINE_TERMINATOR = CharClass.chars("\n\r\u2028\u2029");

    private final String source;
    private final String pointer;
    private int pos;

    private Regex(String source, String pointer) {
        this.source = source;
        this.pointer = pointer;
    }

    /**
     * The strings {@code pattern} matches (somewhere, unless anchored), as an ε-free automaton.
     *
     * @param pointer the JSON pointer of the schema holding the pattern, for refusals
     */
    static CharNfa compile(String pattern, String pointer, CompileBudget budget) {
        Regex r = new Regex(pattern, pointer);
        Node root = r.parseDisjunction();
        if (r.pos < pattern.length()) {
            throw r.error("unbalanced ')' at offset " + r.pos);
        }
        CharNfa nfa = new CharNfa(budget);
        List<Node> alternatives = root instanceof Alt a ? a.alternatives() : List.of(root);
        List<CharNfa.Frag> frags = new ArrayList<>();
        for (Node alt : alternatives) {
            List<Node> items = new ArrayList<>(alt instanceof Seq s ? s.items() : List.of(alt));
            boolean anchoredStart = !items.isEmpty() && items.getFirst() instanceof Anchor a && a.start();
            if (anchoredStart) {
                items.removeFirst();
            }
            boolean anchoredEnd = !items.isEmpty() && items.getLast() instanceof Anchor a && !a.start();
            if (anchoredEnd) {
                items.removeLast();
            }
            CharNfa.Frag body = r.build(nfa, new Seq(items));
            if (!anchoredStart) {
                body = nfa.concat(nfa.repeatChars(CharClass.ALL, 0, -1), body);
            }
            if (!anchoredEnd) {
                body = nfa.concat(body, nfa.repeatChars(CharClass.ALL, 0, -1));
            }
            frags.add(body);
        }
        return nfa.finish(nfa.union(frags)).withoutEpsilon();
    }

    private CharNfa.Frag build(CharNfa nfa, Node node) {
        return switch (node) {
            case Chars c -> nfa.chars(c.cls());
            case Seq s -> {
                CharNfa.Frag f = nfa.empty();
                for (Node item : s.items()) {
                    f = nfa.concat(f, build(nfa, item));
                }
                yield f;
            }
            case Alt a -> {
                List<CharNfa.Frag> parts = new ArrayList<>();
                for (Node alt : a.alternatives()) {
                    parts.add(build(nfa, alt));
                }
                yield nfa.union(parts);
            }
            case Repeat r -> {
                if (r.node() instanceof Chars c) {
                    yield nfa.repeatChars(c.cls(), r.min(), r.max());
                }
                CharNfa.Frag f = nfa.empty();
                for (int i = 0; i < r.min(); i++) {
                    f = nfa.concat(f, build(nfa, r.node()));
                }
                if (r.max() < 0) {
                    f = nfa.concat(f, nfa.star(build(nfa, r.node())));
                } else {
                    for (int i = r.min(); i < r.max(); i++) {
                        f = nfa.concat(f, nfa.optional(build(nfa, r.node())));
                    }
                }
                yield f;
            }
            case Anchor a -> throw error("'" + (a.start() ? "^" : "$") + "' is supported only at the start or end of"
                    + " the pattern or of its top-level alternatives");
        };
    }

    // ---- parsing

    private SchemaException error(String what) {
        return new SchemaException("unsupported regular expression /" + source + "/: " + what, "pattern", pointer);
    }

    private boolean more() {
        return pos < source.length();
    }

    private int peek() {
        return source.codePointAt(pos);
    }

    private int next() {
        int c = source.codePointAt(pos);
        pos += Character.charCount(c);
        return c;
    }

    private Node parseDisjunction() {
        List<Node> alternatives = new ArrayList<>();
        alternatives.add(parseAlternative());
        while (more() && peek() == '|') {
            pos++;
            alternatives.add(parseAlternative());
        }
        return alternatives.size() == 1 ? alternatives.getFirst() : new Alt(alternatives);
    }

    private Node parseAlternative() {
        List<Node> items = new ArrayList<>();
        while (more() && peek() != '|' && peek() != ')') {
            int c = peek();
            if (c == '^' || c == '$') {
                pos++;
                items.add(new Anchor(c == '^'));
                continue;
            }
            Node atom = parseAtom();
            items.add(parseQuantifier(atom));
        }
        return items.size() == 1 ? items.getFirst() : new Seq(items);
    }

    private Node parseQuantifier(Node atom) {
        if (!more()) {
            return atom;
        }
        int c = peek();
        int min;
        int max;
        if (c == '*') {
            pos++;
            min = 0;
            max = -1;
        } else if (c == '+') {
            pos++;
            min = 1;
            max = -1;
        } else if (c == '?') {
            pos++;
            min = 0;
            max = 1;
        } else if (c == '{' && braceQuantifierAhead()) {
            pos++;
            min = number();
            max = min;
            if (peek() == ',') {
                pos++;
                max = peek() == '}' ? -1 : number();
            }
            pos++; // '}'
            if (max >= 0 && max < min) {
                throw error("quantifier {" + min + "," + max + "} has max below min");
            }
        } else {
            return atom;
        }
        if (min > MAX_REPEAT || max > MAX_REPEAT) {
            throw error("repetition counts above " + MAX_REPEAT + " are not supported");
        }
        if (more() && peek() == '?') {
            pos++; // lazy: same language
        }
        if (atom instanceof Anchor) {
            throw error("a quantifier cannot apply to an anchor");
        }
        return new Repeat(atom, min, max);
    }

    private boolean braceQuantifierAhead() {
        int i = pos + 1;
        int digits = 0;
        while (i < source.length() && Character.isDigit(source.charAt(i))) {
            i++;
            digits++;
        }
        if (digits == 0 || i >= source.length()) {
            return false;
        }
        if (source.charAt(i) == '}') {
            return true;
        }
        if (source.charAt(i) != ',') {
            return false;
        }
        i++;
        while (i < source.length() && Character.isDigit(source.charAt(i))) {
            i++;
        }
        return i < source.length() && source.charAt(i) == '}';
    }

    private int number() {
        int start = pos;
        while (more() && Character.isDigit(source.charAt(pos))) {
            pos++;
        }
        String digits = source.substring(start, pos);
        return digits.length() > 6 ? Integer.MAX_VALUE : Integer.parseInt(digits);
    }

    private Node parseAtom() {
        int c = next();
        switch (c) {
            case '.' -> {
                return new Chars(LINE_TERMINATOR.complement());
            }
            case '(' -> {
                if (source.startsWith("?:", pos)) {
                    pos += 2;
                } else if (source.startsWith("?=", pos) || source.startsWith("?!", pos)
                        || source.startsWith("?<=", pos) || source.startsWith("?<!", pos)) {
                    throw error("lookaround assertions are not supported");
                } else if (source.startsWith("?<", pos)) {
                    int close = source.indexOf('>', pos);
                    if (close < 0) {
                        throw error("unterminated group name");
                    }
                    pos = close + 1;
                } else if (source.startsWith("?", pos)) {
                    throw error("group modifiers are not supported");
                }
                Node inner = parseDisjunction();
                if (!more() || peek() != ')') {
                    throw error("missing ')'");
                }
                pos++;
                return inner;
            }
            case '[' -> {
                return new Chars(parseClass());
            }
            case '\\' -> {
                return new Chars(parseEscape(false));
            }
            case '*', '+', '?' -> throw error("nothing to repeat before '" + (char) c + "' at offset " + (pos - 1));
            case ')' -> throw error("unbalanced ')'");
            default -> {
                return new Chars(CharClass.of(c));
            }
        }
    }

    private CharClass parseClass() {
        boolean negate = more() && peek() == '^';
        if (negate) {
            pos++;
        }
        CharClass cls = CharClass.EMPTY;
        boolean first = true;
        while (true) {
            if (!more()) {
                throw error("missing ']'");
            }
            int c = peek();
            if (c == ']' && !first) {
                pos++;
                break;
            }
            if (c == ']') {
                pos++;
                break; // [] matches nothing, [^] anything
            }
            first = false;
            CharClass lo = classAtom();
            if (more() && peek() == '-' && pos + 1 < source.length() && source.charAt(pos + 1) != ']') {
                pos++;
                CharClass hi = classAtom();
                if (lo.ranges() != 1 || lo.lo(0) != lo.hi(0) || hi.ranges() != 1 || hi.lo(0) != hi.hi(0)) {
                    throw error("a class range must run between two characters");
                }
                if (lo.lo(0) > hi.lo(0)) {
                    throw error("class range out of order");
                }
                cls = cls.union(CharClass.range(lo.lo(0), hi.lo(0)));
            } else {
                cls = cls.union(lo);
            }
        }
        return negate ? cls.complement() : cls;
    }

    private CharClass classAtom() {
        int c = next();
        if (c == '\\') {
            return parseEscape(true);
        }
        return CharClass.of(c);
    }

    private CharClass parseEscape(boolean inClass) {
        if (!more()) {
            throw error("pattern ends with '\\'");
        }
        int c = next();
        return switch (c) {
            case 'd' -> DIGIT;
            case 'D' -> DIGIT.complement();
            case 'w' -> WORD;
            case 'W' -> WORD.complement();
            case 's' -> SPACE;
            case 'S' -> SPACE.complement();
            case 't' -> CharClass.of('\t');
            case 'n' -> CharClass.of('\n');
            case 'r' -> CharClass.of('\r');
            case 'f' -> CharClass.of('\f');
            case 'v' -> CharClass.of(0x0B);
            case '0' -> {
                if (more() && Character.isDigit(peek())) {
                    throw error("octal escapes are not supported");
                }
                yield CharClass.of(0);
            }
            case 'b' -> {
                if (inClass) {
                    yield CharClass.of('\b');
                }
                throw error("word boundaries (\\b) are not supported");
            }
            case 'B' -> throw error("word boundaries (\\B) are not supported");
            case 'x' -> CharClass.of(hex(2));
            case 'u' -> {
                if (more() && peek() == '{') {
                    throw error("\\u{...} needs the u flag, which JSON Schema patterns do not have");
                }
                yield CharClass.of(hex(4));
            }
            case 'c' -> {
                if (!more() || !Character.isLetter(peek())) {
                    throw error("\\c must be followed by a letter");
                }
                yield CharClass.of(next() % 32);
            }
            case 'p', 'P' -> throw error("Unicode property escapes (\\" + (char) c + "{...}) are not supported");
            case 'k' -> throw error("backreferences are not supported");
            default -> {
                if (c >= '1' && c <= '9') {
                    throw error("backreferences are not supported");
                }
                if (Character.isLetterOrDigit(c)) {
                    throw error("unknown escape \\" + Character.toString(c));
                }
                yield CharClass.of(c);
            }
        };
    }

    private int hex(int digits) {
        if (pos + digits > source.length()) {
            throw error("truncated hex escape");
        }
        String h = source.substring(pos, pos + digits);
        for (int i = 0; i < h.length(); i++) {
            if (Character.digit(h.charAt(i), 16) < 0) {
                throw error("bad hex escape \\" + h);
            }
        }
        pos += digits;
        return Integer.parseInt(h, 16);
    }
}
