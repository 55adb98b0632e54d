package io.fairlane.engine.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Python's {@code str} methods that chat templates call ({@code content.strip()}, {@code .split(...)}, ...). */
final class StringMethods {

    static final Set<String> NAMES = Set.of("strip", "lstrip", "rstrip", "split", "rsplit", "splitlines",
            "startswith", "endswith", "upper", "lower", "title", "capitalize", "replace", "find", "rfind", "index",
            "rindex", "count", "join", "format", "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower",
            "isnumeric", "isdecimal", "zfill", "center", "ljust", "rjust", "partition", "rpartition", "casefold",
            "swapcase", "removeprefix", "removesuffix", "expandtabs", "istitle");

    private StringMethods() {
    }

    static Object call(String s, String name, List<Object> args, Map<String, Object> kw) {
        return switch (name) {
            case "strip" -> strip(s, chars(args), true, true);
            case "lstrip" -> strip(s, chars(args), true, false);
            case "rstrip" -> strip(s, chars(args), false, true);
            case "split" -> split(s, optString(args, 0, kw, "sep"), (int) optLong(args, 1, kw, "maxsplit", -1));
            case "rsplit" -> rsplit(s, optString(args, 0, kw, "sep"), (int) optLong(args, 1, kw, "maxsplit", -1));
            case "splitlines" -> splitlines(s, Py.truthy(args.isEmpty() ? kw.get("keepends") : args.getFirst()));
            case "startswith" -> affix(s, args, true);
            case "endswith" -> affix(s, args, false);
            case "upper" -> s.toUpperCase(java.util.Locale.ROOT);
            case "lower" -> s.toLowerCase(java.util.Locale.ROOT);
            case "casefold" -> s.toLowerCase(java.util.Locale.ROOT);
            case "swapcase" -> swapcase(s);
            case "title" -> title(s);
            case "capitalize" -> capitalize(s);
            case "replace" -> replace(s, str(args, 0), str(args, 1), args.size() > 2 ? Py.toLong(args.get(2)) : -1);
            case "find" -> (long) cpIndex(s, s.indexOf(str(args, 0)));
            case "rfind" -> (long) cpIndex(s, s.lastIndexOf(str(args, 0)));
            case "index", "rindex" -> {
                int at = name.equals("index") ? s.indexOf(str(args, 0)) : s.lastIndexOf(str(args, 0));
                if (at < 0) {
                    throw new TemplateException("ValueError: substring not found");
                }
                yield (long) cpIndex(s, at);
            }
            case "count" -> {
                String sub = str(args, 0);
                if (sub.isEmpty()) {
                    yield (long) Py.len(s) + 1;
                }
                long c = 0;
                for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) {
                    c++;
                }
                yield c;
            }
            case "join" -> {
                StringBuilder sb = new StringBuilder();
                List<Object> items = Py.iterate(args.getFirst());
                for (int i = 0; i < items.size(); i++) {
                    if (!(items.get(i) instanceof String item)) {
                        throw Py.typeError("sequence item " + i + ": expected str instance, "
                                + Py.typeName(items.get(i)) + " found");
                    }
                    if (i > 0) {
                        sb.append(s);
                    }
                    sb.append(item);
                }
                yield sb.toString();
            }
            case "format" -> Format.braces(s, args, kw);
            case "isdigit", "isnumeric", "isdecimal" -> !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            case "isalpha" -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            case "isalnum" -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(c -> Lexer.isPythonSpace((char) c));
            case "isupper" -> hasCased(s) && s.codePoints().noneMatch(Character::isLowerCase);
            case "islower" -> hasCased(s) && s.codePoints().noneMatch(Character::isUpperCase);
            case "istitle" -> hasCased(s) && title(s).equals(s);
            case "zfill" -> zfill(s, (int) Py.toLong(args.getFirst()));
            case "center", "ljust", "rjust" -> pad(s, name, (int) Py.toLong(args.getFirst()),
                    args.size() > 1 ? str(args, 1) : " ");
            case "partition", "rpartition" -> {
                String sep = str(args, 0);
                int at = name.equals("partition") ? s.indexOf(sep) : s.lastIndexOf(sep);
                List<Object> parts = at < 0
                        ? (name.equals("partition") ? List.of(s, "", "") : List.of("", "", s))
                        : List.of(s.substring(0, at), sep, s.substring(at + sep.length()));
                yield new Values.Tuple(parts);
            }
            case "removeprefix" -> s.startsWith(str(args, 0)) ? s.substring(str(args, 0).length()) : s;
            case "removesuffix" -> !str(args, 0).isEmpty() && s.endsWith(str(args, 0))
                    ? s.substring(0, s.length() - str(args, 0).length()) : s;
            case "expandtabs" -> s.replace("\t", " ".repeat((int) (args.isEmpty() ? 8 : Py.toLong(args.getFirst()))));
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static String str(List<Object> args, int i) {
        if (i >= args.size()) {
            throw Py.typeError("missing argument " + (i + 1));
        }
        Object v = args.get(i);
        if (!(v instanceof String s)) {
            throw Py.typeError("expected str, got " + Py.typeName(v));
        }
        return s;
    }

    private static String optString(List<Object> args, int i, Map<String, Object> kw, String key) {
        Object v = i < args.size() ? args.get(i) : kw.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s)) {
            throw Py.typeError("must be str or None, not " + Py.typeName(v));
        }
        return s;
    }

    private static long optLong(List<Object> args, int i, Map<String, Object> kw, String key, long dflt) {
        Object v = i < args.size() ? args.get(i) : kw.get(key);
        return v == null ? dflt : Py.toLong(v);
    }

    private static String chars(List<Object> args) {
        return args.isEmpty() || args.getFirst() == null ? null : str(args, 0);
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        if (chars == null) {
            while (left && start < end && Lexer.isPythonSpace(s.charAt(start))) {
                start++;
            }
            while (right && end > start && Lexer.isPythonSpace(s.charAt(end - 1))) {
                end--;
            }
        } else {
            int[] set = chars.codePoints().toArray();
            while (left && start < end && containsCp(set, s.codePointAt(start))) {
                start += Character.charCount(s.codePointAt(start));
            }
            while (right && end > start && containsCp(set, s.codePointBefore(end))) {
                end -= Character.charCount(s.codePointBefore(end));
            }
        }
        return s.substring(start, end);
    }

    private static boolean containsCp(int[] set, int cp) {
        for (int c : set) {
            if (c == cp) {
                return true;
            }
        }
        return false;
    }

    static List<Object> split(String s, String sep, int maxsplit) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && Lexer.isPythonSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    break;
                }
                if (maxsplit >= 0 && out.size() == maxsplit) {
                    out.add(s.substring(i));
                    break;
                }
                int start = i;
                while (i < n && !Lexer.isPythonSpace(s.charAt(i))) {
                    i++;
                }
                out.add(s.substring(start, i));
            }
            return out;
        }
        if (sep.isEmpty()) {
            throw new TemplateException("ValueError: empty separator");
        }
        int start = 0;
        while (maxsplit < 0 || out.size() < maxsplit) {
            int at = s.indexOf(sep, start);
            if (at < 0) {
                break;
            }
            out.add(s.substring(start, at));
            start = at + sep.length();
        }
        out.add(s.substring(start));
        return out;
    }

    static List<Object> rsplit(String s, String sep, int maxsplit) {
        if (maxsplit < 0) {
            return split(s, sep, -1);
        }
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int end = s.length();
            while (true) {
                while (end > 0 && Lexer.isPythonSpace(s.charAt(end - 1))) {
                    end--;
                }
                if (end == 0) {
                    break;
                }
                if (out.size() == maxsplit) {
                    out.addFirst(s.substring(0, end));
                    break;
                }
                int stop = end;
                while (end > 0 && !Lexer.isPythonSpace(s.charAt(end - 1))) {
                    end--;
                }
                out.addFirst(s.substring(end, stop));
            }
            return out;
        }
        int end = s.length();
        while (out.size() < maxsplit) {
            int at = s.lastIndexOf(sep, end - sep.length());
            if (at < 0) {
                break;
            }
            out.addFirst(s.substring(at + sep.length(), end));
            end = at;
        }
        out.addFirst(s.substring(0, end));
        return out;
    }

    static List<Object> splitlines(String s, boolean keepEnds) {
        List<Object> out = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            int breakLen = 0;
            if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                breakLen = 2;
            } else if (c == '\n' || c == '\r' || c == '\u000B' || c == '\u000C' || c == '\u001C' || c == '\u001D'
                    || c == '\u001E' || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                breakLen = 1;
            }
            if (breakLen > 0) {
                out.add(s.substring(start, keepEnds ? i + breakLen : i));
                i += breakLen;
                start = i;
            } else {
                i++;
            }
        }
        if (start < s.length()) {
            out.add(s.substring(start));
        }
        return out;
    }

    private static boolean affix(String s, List<Object> args, boolean prefix) {
        if (args.isEmpty()) {
            throw Py.typeError((prefix ? "startswith" : "endswith") + "() takes at least 1 argument (0 given)");
        }
        Object a = args.getFirst();
        String target = s;
        if (args.size() > 1) {
            int[] cps = s.codePoints().toArray();
            int from = (int) Math.max(0, Math.min(cps.length, normalize(Py.toLong(args.get(1)), cps.length)));
            int to = args.size() > 2 ? (int) Math.max(0, Math.min(cps.length, normalize(Py.toLong(args.get(2)),
                    cps.length))) : cps.length;
            target = from >= to ? "" : new String(cps, from, to - from);
        }
        if (a instanceof List<?> options) {
            for (Object o : options) {
                if (o instanceof String p && (prefix ? target.startsWith(p) : target.endsWith(p))) {
                    return true;
                }
            }
            return false;
        }
        if (!(a instanceof String p)) {
            throw Py.typeError((prefix ? "startswith" : "endswith") + " first arg must be str or a tuple of str, not "
                    + Py.typeName(a));
        }
        return prefix ? target.startsWith(p) : target.endsWith(p);
    }

    private static long normalize(long index, int n) {
        return index < 0 ? index + n : index;
    }

    private static String replace(String s, String old, String replacement, long count) {
        if (count < 0) {
            return s.replace(old, replacement);
        }
        StringBuilder sb = new StringBuilder();
        int start = 0;
        for (long k = 0; k < count; k++) {
            int at = s.indexOf(old, start);
            if (at < 0) {
                break;
            }
            sb.append(s, start, at).append(replacement);
            start = at + old.length();
            if (old.isEmpty()) {
                if (start < s.length()) {
                    sb.append(s.charAt(start));
                }
                start++;
            }
        }
        if (start <= s.length()) {
            sb.append(s.substring(Math.min(start, s.length())));
        }
        return sb.toString();
    }

    private static int cpIndex(String s, int charIndex) {
        return charIndex < 0 ? -1 : s.codePointCount(0, charIndex);
    }

    private static boolean isCased(int cp) {
        return Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
    }

    private static boolean hasCased(String s) {
        return s.codePoints().anyMatch(StringMethods::isCased);
    }

    static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (isCased(cp)) {
                sb.appendCodePoint(previousCased ? Character.toLowerCase(cp) : Character.toTitleCase(cp));
                previousCased = true;
            } else {
                sb.appendCodePoint(cp);
                previousCased = false;
            }
        }
        return sb.toString();
    }

    static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int first = s.codePointAt(0);
        return new String(Character.toChars(Character.toTitleCase(first)))
                + s.substring(Character.charCount(first)).toLowerCase(java.util.Locale.ROOT);
    }

    private static String swapcase(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> sb.appendCodePoint(Character.isUpperCase(cp) ? Character.toLowerCase(cp)
                : Character.isLowerCase(cp) ? Character.toUpperCase(cp) : cp));
        return sb.toString();
    }

    private static String zfill(String s, int width) {
        int len = Py.len(s);
        if (len >= width) {
            return s;
        }
        String zeros = "0".repeat(width - len);
        if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
            return s.charAt(0) + zeros + s.substring(1);
        }
        return zeros + s;
    }

    static String pad(String s, String how, int width, String fill) {
        int len = Py.len(s);
        if (len >= width) {
            return s;
        }
        int total = width - len;
        return switch (how) {
            case "ljust" -> s + fill.repeat(total);
            case "rjust" -> fill.repeat(total) + s;
            default -> {
                // Python's center puts the extra character on the left when the padding is odd and width is odd
                int left = total / 2 + (total & width & 1);
                yield fill.repeat(left) + s + fill.repeat(total - left);
            }
        };
    }
}
