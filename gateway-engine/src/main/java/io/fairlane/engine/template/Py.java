package io.fairlane.engine.template;

import io.fairlane.engine.template.Values.Callable;
import io.fairlane.engine.template.Values.Function;
import io.fairlane.engine.template.Values.Namespace;
import io.fairlane.engine.template.Values.Tuple;
import io.fairlane.engine.template.Values.Undefined;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Python semantics for template values, as jinja2 inherits them from Python: truthiness, {@code str()} and
 * {@code repr()}, equality and ordering, arithmetic, {@code len}, {@code in}, iteration, and attribute and
 * item access through jinja2's immutable sandbox (dict and list methods that mutate are refused). Strings
 * are indexed by code point, as Python does.
 *
 * <p>A documented hot core, kept whole on purpose although it is long: the value semantics every expression
 * evaluation goes through, one small method per Python operation, which must agree with each other (equality
 * with hashing, ordering with sorting, {@code str} with {@code repr}); split apart, those pairs would drift. Golden
 * tests against jinja2 hold it to the reference (see {@code docs/engine.md}).
 */
final class Py {

    private static final Set<String> DICT_METHODS = Set.of("get", "items", "keys", "values", "copy");
    private static final Set<String> DICT_MUTATORS = Set.of("clear", "pop", "popitem", "setdefault", "update");
    private static final Set<String> LIST_METHODS = Set.of("index", "count", "copy");
    private static final Set<String> LIST_MUTATORS = Set.of("append", "extend", "insert", "pop", "remove",
            "reverse", "sort", "clear");

    private Py() {
    }

    // ---- type names and checks ----

    static String typeName(Object v) {
        return switch (v) {
            case null -> "NoneType";
            case Boolean b -> "bool";
            case Long l -> "int";
            case Double d -> "float";
            case String s -> "str";
            case Tuple t -> "tuple";
            case List<?> l -> "list";
            case Map<?, ?> m -> "dict";
            case Undefined u -> "Undefined";
            case Namespace n -> "Namespace";
            case Callable c -> "function";
            default -> v.getClass().getSimpleName();
        };
    }

    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof Double || v instanceof Boolean;
    }

    static TemplateException typeError(String message) {
        return new TemplateException("TypeError: " + message);
    }

    // ---- truthiness, str, repr ----

    static boolean truthy(Object v) {
        return switch (v) {
            case null -> false;
            case Boolean b -> b;
            case Long l -> l != 0;
            case Double d -> d != 0.0;
            case String s -> !s.isEmpty();
            case Collection<?> c -> !c.isEmpty();
            case Map<?, ?> m -> !m.isEmpty();
            case Undefined u -> false;
            default -> true;
        };
    }

    static String str(Object v) {
        return switch (v) {
            case null -> "None";
            case String s -> s;
            case Boolean b -> b ? "True" : "False";
            case Long l -> l.toString();
            case Double d -> floatRepr(d);
            case Undefined u -> "";
            default -> repr(v);
        };
    }

    static String repr(Object v) {
        return switch (v) {
            case String s -> stringRepr(s);
            case Tuple t -> {
                StringBuilder sb = new StringBuilder("(");
                for (int i = 0; i < t.size(); i++) {
                    if (i > 0) {
                        sb.append(", ");
                    }
                    sb.append(repr(t.get(i)));
                }
                yield sb.append(t.size() == 1 ? ",)" : ")").toString();
            }
            case List<?> l -> {
                StringBuilder sb = new StringBuilder("[");
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) {
                        sb.append(", ");
                    }
                    sb.append(repr(l.get(i)));
                }
                yield sb.append(']').toString();
            }
            case Map<?, ?> m -> {
                StringBuilder sb = new StringBuilder("{");
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) {
                        sb.append(", ");
                    }
                    first = false;
                    sb.append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
                }
                yield sb.append('}').toString();
            }
            case Undefined u -> "Undefined";
            case null -> "None";
            case Boolean b -> str(b);
            case Long l -> str(l);
            case Double d -> str(d);
            default -> v.toString();
        };
    }

    /** Python's {@code repr(float)}: the shortest digits that round-trip, positional for 1e-4 <= |x| < 1e16. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        BigDecimal bd = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();
        int exponent = digits.length() - 1 - bd.scale();  // decimal exponent of the first digit
        StringBuilder sb = new StringBuilder(d < 0 ? "-" : "");
        if (exponent >= -4 && exponent < 16) {
            if (exponent < 0) {
                sb.append("0.").append("0".repeat(-exponent - 1)).append(digits);
            } else if (digits.length() <= exponent + 1) {
                sb.append(digits).append("0".repeat(exponent + 1 - digits.length())).append(".0");
            } else {
                sb.append(digits, 0, exponent + 1).append('.').append(digits.substring(exponent + 1));
            }
        } else {
            sb.append(digits.charAt(0));
            if (digits.length() > 1) {
                sb.append('.').append(digits.substring(1));
            }
            sb.append('e').append(exponent < 0 ? '-' : '+');
            int abs = Math.abs(exponent);
            sb.append(abs < 10 ? "0" : "").append(abs);
        }
        return sb.toString();
    }

    static String stringRepr(String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder sb = new StringBuilder(s.length() + 2).append(quote);
        s.codePoints().forEach(cp -> {
            if (cp == quote || cp == '\\') {
                sb.append('\\').appendCodePoint(cp);
            } else if (cp == '\n') {
                sb.append("\\n");
            } else if (cp == '\r') {
                sb.append("\\r");
            } else if (cp == '\t') {
                sb.append("\\t");
            } else if (isPrintable(cp)) {
                sb.appendCodePoint(cp);
            } else if (cp < 0x100) {
                sb.append(String.format("\\x%02x", cp));
            } else if (cp < 0x10000) {
                sb.append(String.format("\\u%04x", cp));
            } else {
                sb.append(String.format("\\U%08x", cp));
            }
        });
        return sb.append(quote).toString();
    }

    private static boolean isPrintable(int cp) {
        if (cp == ' ') {
            return true;
        }
        int type = Character.getType(cp);
        return switch (type) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE,
                 Character.UNASSIGNED, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                 Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }

    // ---- equality and ordering ----

    static boolean eq(Object a, Object b) {
        if (a == b) {
            return true;
        }
        if (a == null || b == null) {
            return false;
        }
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) {
                return toDouble(a) == toDouble(b);
            }
            return toLong(a) == toLong(b);
        }
        if (a instanceof Undefined || b instanceof Undefined) {
            return a instanceof Undefined && b instanceof Undefined;
        }
        if (a instanceof String sa && b instanceof String sb) {
            return sa.equals(sb);
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            if ((a instanceof Tuple) != (b instanceof Tuple) || la.size() != lb.size()) {
                return false;
            }
            for (int i = 0; i < la.size(); i++) {
                if (!eq(la.get(i), lb.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            if (ma.size() != mb.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : ma.entrySet()) {
                if (!mb.containsKey(e.getKey()) || !eq(e.getValue(), mb.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    /** Python's ordering; a TypeError for types that do not order against each other. */
    static int compare(Object a, Object b, String op) {
        if (a instanceof Undefined u) {
            throw u.fail();
        }
        if (b instanceof Undefined u) {
            throw u.fail();
        }
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) {
                return Double.compare(toDouble(a), toDouble(b));
            }
            return Long.compare(toLong(a), toLong(b));
        }
        if (a instanceof String sa && b instanceof String sb) {
            return compareCodePoints(sa, sb);
        }
        if (a instanceof List<?> la && b instanceof List<?> lb && (a instanceof Tuple) == (b instanceof Tuple)) {
            for (int i = 0; i < Math.min(la.size(), lb.size()); i++) {
                if (!eq(la.get(i), lb.get(i))) {
                    return compare(la.get(i), lb.get(i), op);
                }
            }
            return Integer.compare(la.size(), lb.size());
        }
        throw typeError("'" + op + "' not supported between instances of '" + typeName(a) + "' and '"
                + typeName(b) + "'");
    }

    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    /** Python's {@code d[key] = value}: keys equal as numbers (1, 1.0, True) are one key, the first spelling kept. */
    static void dictPut(Map<Object, Object> map, Object key, Object value) {
        if (isNumber(key)) {
            for (Map.Entry<Object, Object> e : map.entrySet()) {
                if (isNumber(e.getKey()) && eq(e.getKey(), key)) {
                    e.setValue(value);
                    return;
                }
            }
        }
        if (key instanceof Undefined || key instanceof List<?> && !(key instanceof Tuple) || key instanceof Map) {
            throw typeError("unhashable type: '" + typeName(key) + "'");
        }
        map.put(key, value);
    }

    // ---- numbers ----

    static long toLong(Object v) {
        return switch (v) {
            case null -> throw typeError("expected a number, got 'NoneType'");
            case Undefined u -> throw u.fail();
            case Long l -> l;
            case Boolean b -> b ? 1 : 0;
            case Double d -> (long) (double) d;
            default -> throw typeError("expected a number, got '" + typeName(v) + "'");
        };
    }

    static double toDouble(Object v) {
        return switch (v) {
            case null -> throw typeError("expected a number, got 'NoneType'");
            case Undefined u -> throw u.fail();
            case Double d -> d;
            case Long l -> l;
            case Boolean b -> b ? 1 : 0;
            default -> throw typeError("expected a number, got '" + typeName(v) + "'");
        };
    }

    static Object arithmetic(String op, Object a, Object b) {
        if (a instanceof Undefined u) {
            throw u.fail();
        }
        if (b instanceof Undefined u) {
            throw u.fail();
        }
        if (isNumber(a) && isNumber(b)) {
            boolean floating = a instanceof Double || b instanceof Double;
            switch (op) {
                case "+":
                    return floating ? (Object) (toDouble(a) + toDouble(b)) : (Object) Math.addExact(toLong(a), toLong(b));
                case "-":
                    return floating ? (Object) (toDouble(a) - toDouble(b))
                            : (Object) Math.subtractExact(toLong(a), toLong(b));
                case "*":
                    return floating ? (Object) (toDouble(a) * toDouble(b))
                            : (Object) Math.multiplyExact(toLong(a), toLong(b));
                case "/":
                    if (toDouble(b) == 0) {
                        throw new TemplateException("ZeroDivisionError: division by zero");
                    }
                    return toDouble(a) / toDouble(b);
                case "//":
                    if (toDouble(b) == 0) {
                        throw new TemplateException("ZeroDivisionError: integer division or modulo by zero");
                    }
                    return floating ? (Object) Math.floor(toDouble(a) / toDouble(b))
                            : (Object) Math.floorDiv(toLong(a), toLong(b));
                case "%":
                    if (toDouble(b) == 0) {
                        throw new TemplateException("ZeroDivisionError: integer division or modulo by zero");
                    }
                    if (floating) {
                        double x = toDouble(a);
                        double y = toDouble(b);
                        return x - y * Math.floor(x / y);
                    }
                    return Math.floorMod(toLong(a), toLong(b));
                case "**":
                    if (!floating && toLong(b) >= 0) {
                        long result = 1;
                        long base = toLong(a);
                        for (long i = toLong(b); i > 0; i--) {
                            result = Math.multiplyExact(result, base);
                        }
                        return result;
                    }
                    return Math.pow(toDouble(a), toDouble(b));
                default:
                    throw new IllegalArgumentException(op);
            }
        }
        switch (op) {
            case "+" -> {
                if (a instanceof String sa && b instanceof String sb) {
                    return sa + sb;
                }
                if (a instanceof List<?> la && b instanceof List<?> lb && (a instanceof Tuple) == (b instanceof Tuple)) {
                    List<Object> out = new ArrayList<>(la);
                    out.addAll(lb);
                    return a instanceof Tuple ? new Tuple(out) : out;
                }
            }
            case "*" -> {
                if (a instanceof String s && (b instanceof Long || b instanceof Boolean)) {
                    return s.repeat((int) Math.max(0, toLong(b)));
                }
                if (b instanceof String s && (a instanceof Long || a instanceof Boolean)) {
                    return s.repeat((int) Math.max(0, toLong(a)));
                }
                if (a instanceof List<?> l && (b instanceof Long || b instanceof Boolean)) {
                    List<Object> out = new ArrayList<>();
                    for (long i = 0; i < toLong(b); i++) {
                        out.addAll(l);
                    }
                    return out;
                }
            }
            case "%" -> {
                if (a instanceof String format) {
                    return Format.percent(format, b);
                }
            }
            default -> {
            }
        }
        throw typeError("unsupported operand type(s) for " + op + ": '" + typeName(a) + "' and '"
                + typeName(b) + "'");
    }

    // ---- containers ----

    static int len(Object v) {
        return switch (v) {
            case null -> throw typeError("object of type 'NoneType' has no len()");
            case String s -> s.codePointCount(0, s.length());
            case Collection<?> c -> c.size();
            case Map<?, ?> m -> m.size();
            case Undefined u -> 0;
            default -> throw typeError("object of type '" + typeName(v) + "' has no len()");
        };
    }

    /** Python iteration: strings by character, dicts by key, undefined as empty. */
    static List<Object> iterate(Object v) {
        return switch (v) {
            case null -> throw typeError("'NoneType' object is not iterable");
            case List<?> l -> new ArrayList<>(l);
            case Map<?, ?> m -> new ArrayList<>(m.keySet());
            case String s -> {
                List<Object> chars = new ArrayList<>(s.length());
                s.codePoints().forEach(cp -> chars.add(new String(Character.toChars(cp))));
                yield chars;
            }
            case Collection<?> c -> new ArrayList<>(c);
            case Undefined u -> new ArrayList<>();
            default -> throw typeError("'" + typeName(v) + "' object is not iterable");
        };
    }

    static boolean contains(Object container, Object item) {
        switch (container) {
            case null -> throw typeError("argument of type 'NoneType' is not iterable");
            case String s -> {
                if (item instanceof Undefined u) {
                    throw u.fail();
                }
                if (!(item instanceof String sub)) {
                    throw typeError("'in <string>' requires string as left operand, not " + typeName(item));
                }
                return s.contains(sub);
            }
            case Map<?, ?> m -> {
                for (Object k : m.keySet()) {
                    if (eq(k, item)) {
                        return true;
                    }
                }
                return false;
            }
            case Collection<?> c -> {
                for (Object o : c) {
                    if (eq(o, item)) {
                        return true;
                    }
                }
                return false;
            }
            case Undefined u -> {
                return false;
            }
            default -> throw typeError("argument of type '" + typeName(container) + "' is not iterable");
        }
    }

    // ---- attribute and item access (jinja2's sandboxed getattr / getitem) ----

    static Object getattr(Object obj, String name) {
        if (obj instanceof Undefined u) {
            throw u.fail();
        }
        if (name.startsWith("_")) {
            return new Undefined("access to attribute '" + name + "' of '" + typeName(obj) + "' object is unsafe.",
                    true);
        }
        Object attribute = attribute(obj, name);
        if (attribute != null) {
            return attribute;
        }
        if (obj instanceof Map<?, ?> m && m.containsKey(name)) {
            return m.get(name);
        }
        return new Undefined("'" + objectTypeRepr(obj) + "' has no attribute '" + name + "'");
    }

    static Object getitem(Object obj, Object key) {
        if (obj instanceof Undefined u) {
            throw u.fail();
        }
        switch (obj) {
            case null -> {
            }
            case Map<?, ?> m -> {
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (eq(e.getKey(), key) && (e.getKey() == null) == (key == null)) {
                        return e.getValue();
                    }
                }
            }
            case List<?> l -> {
                if (key instanceof Long || key instanceof Boolean) {
                    long i = toLong(key);
                    if (i < 0) {
                        i += l.size();
                    }
                    if (i >= 0 && i < l.size()) {
                        return l.get((int) i);
                    }
                    return new Undefined("list object has no element " + key);
                }
                if (key instanceof SliceValue s) {
                    List<Object> out = s.apply(l);
                    return obj instanceof Tuple ? new Tuple(out) : out;
                }
            }
            case String s -> {
                if (key instanceof Long || key instanceof Boolean) {
                    int[] cps = s.codePoints().toArray();
                    long i = toLong(key);
                    if (i < 0) {
                        i += cps.length;
                    }
                    if (i >= 0 && i < cps.length) {
                        return new String(cps, (int) i, 1);
                    }
                    return new Undefined("string index out of range");
                }
                if (key instanceof SliceValue slice) {
                    List<Object> chars = slice.apply(iterate(s));
                    StringBuilder sb = new StringBuilder();
                    chars.forEach(c -> sb.append((String) c));
                    return sb.toString();
                }
            }
            default -> {
            }
        }
        if (key instanceof String name) {
            Object attribute = name.startsWith("_") ? null : attribute(obj, name);
            if (attribute != null) {
                return attribute;
            }
        }
        return new Undefined("'" + objectTypeRepr(obj) + "' has no attribute '" + str(key) + "'");
    }

    /** A Python slice with Python's index clamping and negative steps. */
    record SliceValue(Long start, Long stop, Long step) {
        List<Object> apply(List<?> items) {
            int n = items.size();
            long st = step == null ? 1 : step;
            if (st == 0) {
                throw new TemplateException("ValueError: slice step cannot be zero");
            }
            List<Object> out = new ArrayList<>();
            if (st > 0) {
                long from = clamp(start == null ? 0 : start, n, 0, n);
                long to = clamp(stop == null ? n : stop, n, 0, n);
                for (long i = from; i < to; i += st) {
                    out.add(items.get((int) i));
                }
            } else {
                long from = clamp(start == null ? n - 1 : start, n, -1, n - 1);
                long to = stop == null ? -1 : clamp(stop, n, -1, n - 1);
                for (long i = from; i > to; i += st) {
                    out.add(items.get((int) i));
                }
            }
            return out;
        }

        private static long clamp(long index, int n, long lo, long hi) {
            long i = index < 0 ? index + n : index;
            return Math.max(lo, Math.min(hi, i));
        }
    }

    private static String objectTypeRepr(Object obj) {
        return obj == null ? "None" : typeName(obj) + " object";
    }

    /** Methods and attributes of built-in types; null when there is none by that name. */
    private static Object attribute(Object obj, String name) {
        switch (obj) {
            case null -> {
                return null;
            }
            case Namespace ns -> {
                return ns.attributes.containsKey(name) ? ns.attributes.get(name) : null;
            }
            case LoopContext loop -> {
                return loop.attribute(name);
            }
            case Map<?, ?> m -> {
                if (DICT_MUTATORS.contains(name)) {
                    return unsafe(obj, name);
                }
                return DICT_METHODS.contains(name) ? method(name, (args, kw) -> dictMethod(m, name, args)) : null;
            }
            case List<?> l -> {
                if (LIST_MUTATORS.contains(name)) {
                    return obj instanceof Tuple ? null : unsafe(obj, name);
                }
                return LIST_METHODS.contains(name) ? method(name, (args, kw) -> listMethod(l, name, args)) : null;
            }
            case String s -> {
                return StringMethods.NAMES.contains(name)
                        ? method(name, (args, kw) -> StringMethods.call(s, name, args, kw)) : null;
            }
            default -> {
                return null;
            }
        }
    }

    private static Undefined unsafe(Object obj, String name) {
        return new Undefined("access to attribute '" + name + "' of '" + typeName(obj) + "' object is unsafe.", true);
    }

    private static Function method(String name, Callable body) {
        return new Function(name, body);
    }

    private static Object dictMethod(Map<?, ?> m, String name, List<Object> args) {
        return switch (name) {
            case "get" -> {
                if (args.isEmpty()) {
                    throw typeError("get expected at least 1 argument, got 0");
                }
                Object key = args.getFirst();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (eq(e.getKey(), key)) {
                        yield e.getValue();
                    }
                }
                yield args.size() > 1 ? args.get(1) : null;
            }
            case "items" -> {
                List<Object> out = new ArrayList<>(m.size());
                m.forEach((k, v) -> out.add(new Tuple(java.util.Arrays.asList(k, v))));
                yield out;
            }
            case "keys" -> new ArrayList<Object>(m.keySet());
            case "values" -> new ArrayList<Object>(m.values());
            case "copy" -> new LinkedHashMap<Object, Object>(m);
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static Object listMethod(List<?> l, String name, List<Object> args) {
        return switch (name) {
            case "index" -> {
                for (int i = 0; i < l.size(); i++) {
                    if (eq(l.get(i), args.getFirst())) {
                        yield (long) i;
                    }
                }
                throw new TemplateException("ValueError: " + repr(args.getFirst()) + " is not in list");
            }
            case "count" -> {
                long c = 0;
                for (Object o : l) {
                    if (eq(o, args.getFirst())) {
                        c++;
                    }
                }
                yield c;
            }
            case "copy" -> new ArrayList<Object>(l);
            default -> throw new IllegalArgumentException(name);
        };
    }

    static Iterator<Object> iterator(Object v) {
        return iterate(v).iterator();
    }
}
