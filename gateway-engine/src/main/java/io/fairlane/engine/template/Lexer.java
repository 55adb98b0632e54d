package io.fairlane.engine.template;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits Jinja source into tokens with the whitespace rules transformers enables: {@code trim_blocks} (the
 * first newline after a block or comment tag is dropped), {@code lstrip_blocks} (spaces and tabs between
 * the start of a line and a block or comment tag are dropped), {@code -} on a tag side (all whitespace on
 * that side is dropped) and {@code +} (lstrip is suppressed for that tag). Like jinja2, it first turns
 * {@code \r\n} and {@code \r} into {@code \n} and drops one trailing newline of the source.
 */
final class Lexer {

    enum Type { DATA, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INTEGER, FLOAT, OPERATOR, EOF }

    record Token(Type type, String value, int line) {
        boolean is(Type t, String v) {
            return type == t && value.equals(v);
        }

        boolean isName(String v) {
            return type == Type.NAME && value.equals(v);
        }

        boolean isOp(String v) {
            return type == Type.OPERATOR && value.equals(v);
        }

        @Override
        public String toString() {
            return type + (value.isEmpty() ? "" : " '" + value + "'");
        }
    }

    private static final String[] OPERATORS = {
        "//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}",
        ">", "<", "=", ".", ":", "|", ",", ";"
    };

    private final String src;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;
    private int line = 1;
    /** Whether the last thing consumed ended with a newline (jinja2's {@code line_starting}). */
    private boolean lineStarting = true;

    private Lexer(String source) {
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        if (s.endsWith("\n")) {
            s = s.substring(0, s.length() - 1);
        }
        this.src = s;
    }

    static List<Token> tokenize(String source) {
        Lexer lexer = new Lexer(source);
        lexer.run();
        return lexer.tokens;
    }

    private void run() {
        int n = src.length();
        while (pos < n) {
            int tag = findTagStart(pos);
            if (tag < 0) {
                emitData(src.substring(pos));
                pos = n;
                break;
            }
            char kind = src.charAt(tag + 1);
            char sign = tag + 2 < n ? src.charAt(tag + 2) : 0;
            boolean minus = sign == '-';
            boolean plus = sign == '+';
            String text = src.substring(pos, tag);
            if (minus) {
                text = rstripPython(text);
            } else if (!plus && kind != '{') {
                text = lstripLine(text);
            }
            // raw blocks: {% raw %} ... {% endraw %}
            if (kind == '%' && isRawStart(tag)) {
                emitData(text);
                lexRaw(tag);
                continue;
            }
            emitData(text);
            int bodyStart = tag + 2 + (minus || plus ? 1 : 0);
            pos = bodyStart;
            switch (kind) {
                case '#' -> lexComment();
                case '{' -> {
                    tokens.add(new Token(Type.VAR_BEGIN, "", line));
                    lexTag("}}", Type.VAR_END, false);
                }
                default -> {
                    tokens.add(new Token(Type.BLOCK_BEGIN, "", line));
                    lexTag("%}", Type.BLOCK_END, true);
                }
            }
        }
        tokens.add(new Token(Type.EOF, "", line));
    }

    private int findTagStart(int from) {
        int i = src.indexOf('{', from);
        while (i >= 0 && i + 1 < src.length()) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
            i = src.indexOf('{', i + 1);
        }
        return -1;
    }

    /** lstrip_blocks: drops whitespace between the last line start and the tag, if only whitespace is there. */
    private String lstripLine(String text) {
        int lineStart = text.lastIndexOf('\n') + 1;
        if (lineStart == 0 && !lineStarting) {
            return text;
        }
        for (int i = lineStart; i < text.length(); i++) {
            if (!isPythonSpace(text.charAt(i))) {
                return text;
            }
        }
        return text.substring(0, lineStart);
    }

    private void emitData(String text) {
        if (!text.isEmpty()) {
            tokens.add(new Token(Type.DATA, text, line));
            line += count(text, '\n');
        }
    }

    private void lexComment() {
        int end = src.indexOf("#}", pos);
        if (end < 0) {
            throw error("Missing end of comment tag");
        }
        char before = end > pos ? src.charAt(end - 1) : 0;
        line += count(src.substring(pos, end), '\n');
        pos = end + 2;
        afterTagEnd(before == '-', true, before == '+');
    }

    /** After a tag's closing delimiter: {@code -} eats all whitespace, trim_blocks eats one newline. */
    private void afterTagEnd(boolean minus, boolean trimNewline, boolean plus) {
        int start = pos;
        if (minus) {
            while (pos < src.length() && isPythonSpace(src.charAt(pos))) {
                pos++;
            }
        } else if (trimNewline && !plus && pos < src.length() && src.charAt(pos) == '\n') {
            pos++;
        }
        String eaten = src.substring(start, pos);
        line += count(eaten, '\n');
        lineStarting = eaten.isEmpty() ? false : eaten.endsWith("\n");
    }

    private void lexTag(String end, Type endType, boolean block) {
        int depth = 0;  // brackets opened inside the tag: "}}" closes the tag only when balanced
        int n = src.length();
        while (true) {
            while (pos < n && isPythonSpace(src.charAt(pos))) {
                if (src.charAt(pos) == '\n') {
                    line++;
                }
                pos++;
            }
            if (pos >= n) {
                throw error("unexpected end of template, expected '" + end + "'");
            }
            if (depth == 0) {
                if (src.charAt(pos) == '-' && src.startsWith(end, pos + 1)) {
                    pos += 1 + end.length();
                    tokens.add(new Token(endType, "", line));
                    afterTagEnd(true, false, false);
                    return;
                }
                if (block && src.charAt(pos) == '+' && src.startsWith(end, pos + 1)) {
                    pos += 1 + end.length();
                    tokens.add(new Token(endType, "", line));
                    afterTagEnd(false, false, true);
                    return;
                }
                if (src.startsWith(end, pos)) {
                    pos += end.length();
                    tokens.add(new Token(endType, "", line));
                    afterTagEnd(false, block, false);
                    return;
                }
            }
            char c = src.charAt(pos);
            if (c == '\'' || c == '"') {
                lexString(c);
            } else if (Character.isDigit(c)) {
                lexNumber();
            } else if (Character.isLetter(c) || c == '_') {
                int start = pos;
                while (pos < n && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
                    pos++;
                }
                tokens.add(new Token(Type.NAME, src.substring(start, pos), line));
            } else {
                String op = null;
                for (String candidate : OPERATORS) {
                    if (src.startsWith(candidate, pos)) {
                        op = candidate;
                        break;
                    }
                }
                if (op == null) {
                    throw error("unexpected char '" + c + "'");
                }
                switch (op) {
                    case "(", "[", "{" -> depth++;
                    case ")", "]", "}" -> depth--;
                    default -> {
                    }
                }
                pos += op.length();
                tokens.add(new Token(Type.OPERATOR, op, line));
            }
        }
    }

    private void lexString(char quote) {
        StringBuilder sb = new StringBuilder();
        int i = pos + 1;
        int n = src.length();
        while (true) {
            if (i >= n) {
                throw error("unexpected end of string");
            }
            char c = src.charAt(i);
            if (c == quote) {
                break;
            }
            if (c == '\\' && i + 1 < n) {
                i = unescape(i, sb);
                continue;
            }
            if (c == '\n') {
                line++;
            }
            sb.append(c);
            i++;
        }
        pos = i + 1;
        tokens.add(new Token(Type.STRING, sb.toString(), line));
    }

    /** Python's string escapes (what jinja2's unicode-escape decoding accepts); returns the next index. */
    private int unescape(int i, StringBuilder sb) {
        char e = src.charAt(i + 1);
        switch (e) {
            case 'n' -> sb.append('\n');
            case 't' -> sb.append('\t');
            case 'r' -> sb.append('\r');
            case '\\' -> sb.append('\\');
            case '\'' -> sb.append('\'');
            case '"' -> sb.append('"');
            case 'a' -> sb.append('\u0007');
            case 'b' -> sb.append('\b');
            case 'f' -> sb.append('\f');
            case 'v' -> sb.append('\u000B');
            case '\n' -> {
                line++;  // a backslash-newline continues the string
            }
            case 'x', 'u', 'U' -> {
                int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                if (i + 2 + digits > src.length()) {
                    throw error("truncated \\" + e + " escape");
                }
                int cp = Integer.parseInt(src.substring(i + 2, i + 2 + digits), 16);
                sb.appendCodePoint(cp);
                return i + 2 + digits;
            }
            default -> {
                if (e >= '0' && e <= '7') {
                    int j = i + 1;
                    int v = 0;
                    while (j < src.length() && j < i + 4 && src.charAt(j) >= '0' && src.charAt(j) <= '7') {
                        v = v * 8 + (src.charAt(j) - '0');
                        j++;
                    }
                    sb.append((char) v);
                    return j;
                }
                sb.append('\\').append(e);  // unknown escapes stay as written, as in Python
            }
        }
        return i + 2;
    }

    private void lexNumber() {
        int start = pos;
        int n = src.length();
        if (src.startsWith("0x", pos) || src.startsWith("0o", pos) || src.startsWith("0b", pos)
                || src.startsWith("0X", pos) || src.startsWith("0O", pos) || src.startsWith("0B", pos)) {
            int radix = switch (Character.toLowerCase(src.charAt(pos + 1))) {
                case 'x' -> 16;
                case 'o' -> 8;
                default -> 2;
            };
            pos += 2;
            int digitsStart = pos;
            while (pos < n && (Character.digit(src.charAt(pos), radix) >= 0 || src.charAt(pos) == '_')) {
                pos++;
            }
            long v = Long.parseLong(src.substring(digitsStart, pos).replace("_", ""), radix);
            tokens.add(new Token(Type.INTEGER, Long.toString(v), line));
            return;
        }
        while (pos < n && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
            pos++;
        }
        boolean isFloat = false;
        if (pos + 1 < n && src.charAt(pos) == '.' && Character.isDigit(src.charAt(pos + 1))) {
            isFloat = true;
            pos++;
            while (pos < n && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
                pos++;
            }
        }
        if (pos < n && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
            int save = pos;
            pos++;
            if (pos < n && (src.charAt(pos) == '+' || src.charAt(pos) == '-')) {
                pos++;
            }
            if (pos < n && Character.isDigit(src.charAt(pos))) {
                isFloat = true;
                while (pos < n && Character.isDigit(src.charAt(pos))) {
                    pos++;
                }
            } else {
                pos = save;
            }
        }
        String text = src.substring(start, pos).replace("_", "");
        tokens.add(new Token(isFloat ? Type.FLOAT : Type.INTEGER, text, line));
    }

    private boolean isRawStart(int tag) {
        int i = tag + 2;
        if (i < src.length() && (src.charAt(i) == '-' || src.charAt(i) == '+')) {
            i++;
        }
        while (i < src.length() && isPythonSpace(src.charAt(i))) {
            i++;
        }
        if (!src.startsWith("raw", i)) {
            return false;
        }
        i += 3;
        while (i < src.length() && isPythonSpace(src.charAt(i))) {
            i++;
        }
        return src.startsWith("%}", i) || src.startsWith("-%}", i);
    }

    private void lexRaw(int tag) {
        int open = src.indexOf("%}", tag);
        boolean openMinus = src.charAt(open - 1) == '-';
        pos = open + 2;
        if (openMinus) {
            while (pos < src.length() && isPythonSpace(src.charAt(pos))) {
                pos++;
            }
        }
        // find {% endraw %} (with optional - or + and whitespace)
        int search = pos;
        while (true) {
            int end = src.indexOf("{%", search);
            if (end < 0) {
                throw error("Missing end of raw directive");
            }
            int i = end + 2;
            char sign = i < src.length() ? src.charAt(i) : 0;
            if (sign == '-' || sign == '+') {
                i++;
            }
            while (i < src.length() && isPythonSpace(src.charAt(i))) {
                i++;
            }
            if (src.startsWith("endraw", i)) {
                int j = i + 6;
                while (j < src.length() && isPythonSpace(src.charAt(j))) {
                    j++;
                }
                boolean closeMinus = src.startsWith("-%}", j);
                boolean closePlus = src.startsWith("+%}", j);
                if (closeMinus || closePlus || src.startsWith("%}", j)) {
                    String body = src.substring(pos, end);
                    if (sign == '-') {
                        body = rstripPython(body);
                    } else if (sign != '+') {
                        lineStarting = false;
                        body = lstripRawBody(body);
                    }
                    emitData(body);
                    pos = j + (closeMinus || closePlus ? 3 : 2);
                    afterTagEnd(closeMinus, true, closePlus);
                    return;
                }
            }
            search = end + 2;
        }
    }

    private String lstripRawBody(String body) {
        int lineStart = body.lastIndexOf('\n') + 1;
        if (lineStart == 0) {
            return body;
        }
        for (int i = lineStart; i < body.length(); i++) {
            if (!isPythonSpace(body.charAt(i))) {
                return body;
            }
        }
        return body.substring(0, lineStart);
    }

    static String rstripPython(String s) {
        int end = s.length();
        while (end > 0 && isPythonSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end);
    }

    /** Python's {@code str.isspace} for one character (what {@code \s} and {@code strip()} use). */
    static boolean isPythonSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\u001C' && c <= '\u001F') || c == '\u0085'
                || c == '\u00A0' || c == '\u1680' || (c >= '\u2000' && c <= '\u200A') || c == '\u2028'
                || c == '\u2029' || c == '\u202F' || c == '\u205F' || c == '\u3000';
    }

    private static int count(String s, char c) {
        int k = 0;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == c) {
                k++;
            }
        }
        return k;
    }

    private TemplateException error(String message) {
        return new TemplateException("template syntax error at line " + line + ": " + message);
    }
}
