package io.fairlane.engine.template;

import io.fairlane.engine.template.Values.Callable;
import io.fairlane.engine.template.Values.Function;
import io.fairlane.engine.template.Values.Namespace;
import io.fairlane.engine.template.Values.Tuple;
import io.fairlane.engine.template.Values.Undefined;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Jinja's built-in filters, tests and global functions, plus the globals transformers adds
 * ({@code raise_exception}, {@code strftime_now}) and its {@code tojson} (Python's {@code json.dumps}, not
 * jinja's HTML-safe one). Unknown names fail the render with a clear message, as jinja2 does.
 */
final class Builtins {

    private static final int MAX_RANGE = 100_000;  // jinja2's sandbox refuses longer ranges

    private final Clock clock;

    Builtins(Clock clock) {
        this.clock = clock;
    }

    /** The global functions a template can call. */
    Map<String, Object> globals() {
        Map<String, Object> g = new HashMap<>();
        g.put("range", new Function("range", (args, kw) -> range(args)));
        g.put("dict", new Function("dict", (args, kw) -> {
            Map<Object, Object> out = new LinkedHashMap<>();
            if (!args.isEmpty() && args.getFirst() instanceof Map<?, ?> m) {
                out.putAll(m);
            }
            out.putAll(kw);
            return out;
        }));
        g.put("namespace", new Function("namespace", (args, kw) -> {
            Namespace ns = new Namespace();
            if (!args.isEmpty() && args.getFirst() instanceof Map<?, ?> m) {
                m.forEach((k, v) -> ns.attributes.put(Py.str(k), v));
            }
            ns.attributes.putAll(kw);
            return ns;
        }));
        g.put("joiner", new Function("joiner", (args, kw) -> {
            String sep = args.isEmpty() ? (String) kw.getOrDefault("sep", ", ") : Py.str(args.getFirst());
            boolean[] used = {false};
            return new Function("joiner", (a, k) -> {
                if (!used[0]) {
                    used[0] = true;
                    return "";
                }
                return sep;
            });
        }));
        g.put("raise_exception", new Function("raise_exception", (args, kw) -> {
            throw new TemplateException(args.isEmpty() ? "" : Py.str(args.getFirst()), true);
        }));
        g.put("strftime_now", new Function("strftime_now", (args, kw) -> {
            if (args.isEmpty() || !(args.getFirst() instanceof String format)) {
                throw Py.typeError("strftime_now() expects a format string");
            }
            return Strftime.format(LocalDateTime.now(clock), format);
        }));
        return g;
    }

    private static List<Object> range(List<Object> args) {
        long start = 0;
        long stop;
        long step = 1;
        if (args.size() == 1) {
            stop = Py.toLong(args.get(0));
        } else if (args.size() >= 2) {
            start = Py.toLong(args.get(0));
            stop = Py.toLong(args.get(1));
            if (args.size() > 2) {
                step = Py.toLong(args.get(2));
            }
        } else {
            throw Py.typeError("range expected at least 1 argument, got 0");
        }
        if (step == 0) {
            throw new TemplateException("ValueError: range() arg 3 must not be zero");
        }
        List<Object> out = new ArrayList<>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
            if (out.size() >= MAX_RANGE) {
                throw new TemplateException("OverflowError: Range too big. The sandbox blocks ranges larger than "
                        + "MAX_RANGE (100000).");
            }
            out.add(i);
        }
        return out;
    }

    // ---- filters ----

    Object filter(String name, Object value, List<Object> args, Map<String, Object> kw) {
        switch (name) {
            case "tojson":
                return PyJson.dumps(value, Py.truthy(arg(args, kw, 0, "ensure_ascii", false)),
                        arg(args, kw, 1, "indent", null), arg(args, kw, 2, "separators", null),
                        Py.truthy(arg(args, kw, 3, "sort_keys", false)));
            case "default":
            case "d": {
                Object fallback = arg(args, kw, 0, "default_value", "");
                boolean bool = Py.truthy(arg(args, kw, 1, "boolean", false));
                return value instanceof Undefined || (bool && !Py.truthy(value)) ? fallback : value;
            }
            case "length":
            case "count":
                return (long) Py.len(value);
            case "string":
                return Py.str(value);
            case "safe":
            case "e":
            case "escape":
            case "forceescape":
                return name.equals("safe") ? value : htmlEscape(Py.str(value));
            case "trim":
                return StringMethods.strip(Py.str(value), (String) arg(args, kw, 0, "chars", null), true, true);
            case "upper":
                return Py.str(value).toUpperCase(java.util.Locale.ROOT);
            case "lower":
                return Py.str(value).toLowerCase(java.util.Locale.ROOT);
            case "title":
                return StringMethods.title(Py.str(value));
            case "capitalize":
                return StringMethods.capitalize(Py.str(value));
            case "center":
                return StringMethods.pad(Py.str(value), "center", (int) Py.toLong(arg(args, kw, 0, "width", 80L)), " ");
            case "replace": {
                Object count = arg(args, kw, 2, "count", null);
                List<Object> a = new ArrayList<>(List.of(Py.str(args.get(0)), Py.str(args.get(1))));
                if (count != null) {
                    a.add(count);
                }
                return StringMethods.call(Py.str(value), "replace", a, Map.of());
            }
            case "first": {
                List<Object> items = Py.iterate(value);
                return items.isEmpty() ? new Undefined("No first item, sequence was empty.") : items.getFirst();
            }
            case "last": {
                List<Object> items = Py.iterate(value);
                return items.isEmpty() ? new Undefined("No last item, sequence was empty.") : items.getLast();
            }
            case "list":
                return Py.iterate(value);
            case "reverse": {
                if (value instanceof String s) {
                    return new StringBuilder(s).reverse().toString();
                }
                List<Object> items = Py.iterate(value);
                java.util.Collections.reverse(items);
                return items;
            }
            case "join": {
                String sep = Py.str(arg(args, kw, 0, "d", ""));
                Object attribute = arg(args, kw, 1, "attribute", null);
                StringBuilder sb = new StringBuilder();
                List<Object> items = Py.iterate(value);
                for (int i = 0; i < items.size(); i++) {
                    if (i > 0) {
                        sb.append(sep);
                    }
                    sb.append(Py.str(attribute == null ? items.get(i) : attribute(items.get(i), attribute)));
                }
                return sb.toString();
            }
            case "items": {
                if (value instanceof Undefined) {
                    return new ArrayList<>();
                }
                if (!(value instanceof Map<?, ?> m)) {
                    throw Py.typeError("Can only get item pairs from a mapping.");
                }
                List<Object> out = new ArrayList<>();
                m.forEach((k, v) -> out.add(new Tuple(java.util.Arrays.asList(k, v))));
                return out;
            }
            case "dictsort": {
                if (!(value instanceof Map<?, ?> m)) {
                    throw Py.typeError("dictsort requires a mapping");
                }
                boolean caseSensitive = Py.truthy(arg(args, kw, 0, "case_sensitive", false));
                int by = "value".equals(arg(args, kw, 1, "by", "key")) ? 1 : 0;
                boolean reverse = Py.truthy(arg(args, kw, 2, "reverse", false));
                List<Object> out = new ArrayList<>();
                m.forEach((k, v) -> out.add(new Tuple(java.util.Arrays.asList(k, v))));
                Comparator<Object> cmp = (x, y) -> Py.compare(sortKey(((List<?>) x).get(by), caseSensitive),
                        sortKey(((List<?>) y).get(by), caseSensitive), "<");
                out.sort(reverse ? cmp.reversed() : cmp);
                return out;
            }
            case "map":
                return map(value, args, kw);
            case "select":
            case "reject":
                return select(value, args, kw, name.equals("select"), false);
            case "selectattr":
            case "rejectattr":
                return select(value, args, kw, name.equals("selectattr"), true);
            case "attr":
                return Py.getattr(value, Py.str(args.getFirst()));
            case "int":
                return toInt(value, arg(args, kw, 0, "default", 0L), Py.toLong(arg(args, kw, 1, "base", 10L)));
            case "float":
                return toFloat(value, arg(args, kw, 0, "default", 0.0));
            case "abs":
                return value instanceof Double d ? (Object) Math.abs(d) : (Object) Math.abs(Py.toLong(value));
            case "round":
                return round(value, (int) Py.toLong(arg(args, kw, 0, "precision", 0L)),
                        Py.str(arg(args, kw, 1, "method", "common")));
            case "sum": {
                Object attribute = arg(args, kw, 0, "attribute", null);
                Object total = arg(args, kw, 1, "start", 0L);
                for (Object item : Py.iterate(value)) {
                    total = Py.arithmetic("+", total, attribute == null ? item : attribute(item, attribute));
                }
                return total;
            }
            case "min":
            case "max": {
                boolean caseSensitive = Py.truthy(arg(args, kw, 0, "case_sensitive", false));
                Object attribute = arg(args, kw, 1, "attribute", null);
                List<Object> items = Py.iterate(value);
                if (items.isEmpty()) {
                    return new Undefined("No aggregated item, sequence was empty.");
                }
                Object best = items.getFirst();
                for (Object item : items) {
                    int c = Py.compare(sortKey(attribute == null ? item : attribute(item, attribute), caseSensitive),
                            sortKey(attribute == null ? best : attribute(best, attribute), caseSensitive), "<");
                    if (name.equals("min") ? c < 0 : c > 0) {
                        best = item;
                    }
                }
                return best;
            }
            case "unique": {
                boolean caseSensitive = Py.truthy(arg(args, kw, 0, "case_sensitive", false));
                Object attribute = arg(args, kw, 1, "attribute", null);
                List<Object> out = new ArrayList<>();
                List<Object> seen = new ArrayList<>();
                for (Object item : Py.iterate(value)) {
                    Object key = sortKey(attribute == null ? item : attribute(item, attribute), caseSensitive);
                    if (seen.stream().noneMatch(s -> Py.eq(s, key))) {
                        seen.add(key);
                        out.add(item);
                    }
                }
                return out;
            }
            case "sort": {
                boolean reverse = Py.truthy(arg(args, kw, 0, "reverse", false));
                boolean caseSensitive = Py.truthy(arg(args, kw, 1, "case_sensitive", false));
                Object attribute = arg(args, kw, 2, "attribute", null);
                List<Object> items = Py.iterate(value);
                Comparator<Object> cmp = (x, y) -> Py.compare(
                        sortKey(attribute == null ? x : attribute(x, attribute), caseSensitive),
                        sortKey(attribute == null ? y : attribute(y, attribute), caseSensitive), "<");
                items.sort(reverse ? cmp.reversed() : cmp);
                return items;
            }
            case "batch": {
                int size = (int) Py.toLong(args.getFirst());
                Object fill = arg(args, kw, 1, "fill_with", null);
                List<Object> out = new ArrayList<>();
                List<Object> current = new ArrayList<>();
                for (Object item : Py.iterate(value)) {
                    current.add(item);
                    if (current.size() == size) {
                        out.add(current);
                        current = new ArrayList<>();
                    }
                }
                if (!current.isEmpty()) {
                    if (fill != null) {
                        while (current.size() < size) {
                            current.add(fill);
                        }
                    }
                    out.add(current);
                }
                return out;
            }
            case "indent":
                return indent(Py.str(value), arg(args, kw, 0, "width", 4L), Py.truthy(arg(args, kw, 1, "first", false)),
                        Py.truthy(arg(args, kw, 2, "blank", false)));
            case "wordcount":
                return (long) java.util.regex.Pattern.compile("\\w+", java.util.regex.Pattern.UNICODE_CHARACTER_CLASS)
                        .matcher(Py.str(value)).results().count();
            case "format":
                return args.size() == 1 && args.getFirst() instanceof Map<?, ?> m && kw.isEmpty()
                        ? Format.percent(Py.str(value), m)
                        : kw.isEmpty() ? Format.percent(Py.str(value), new Tuple(args)) : Format.percent(Py.str(value), kw);
            case "truncate": {
                String s = Py.str(value);
                int length = (int) Py.toLong(arg(args, kw, 0, "length", 255L));
                boolean killwords = Py.truthy(arg(args, kw, 1, "killwords", false));
                String end = Py.str(arg(args, kw, 2, "end", "..."));
                long leeway = Py.toLong(arg(args, kw, 3, "leeway", 5L));
                if (Py.len(s) <= length + leeway) {
                    return s;
                }
                if (killwords) {
                    return s.substring(0, Math.max(0, length - end.length())) + end;
                }
                String cut = s.substring(0, Math.max(0, length - end.length()));
                int space = cut.lastIndexOf(' ');
                return (space >= 0 ? cut.substring(0, space) : cut) + end;
            }
            case "pprint":
                return Py.repr(value);
            default:
                throw new TemplateException("TemplateAssertionError: No filter named '" + name + "'.");
        }
    }

    private static Object arg(List<Object> args, Map<String, Object> kw, int index, String name, Object dflt) {
        if (index < args.size()) {
            return args.get(index);
        }
        return kw.containsKey(name) ? kw.get(name) : dflt;
    }

    /** jinja2's attribute getter: a dotted path of attribute or item lookups ({@code "function.name"}). */
    private static Object attribute(Object item, Object path) {
        Object v = item;
        for (String part : Py.str(path).split("\\.")) {
            Object key = part.chars().allMatch(Character::isDigit) && !part.isEmpty() ? (Object) Long.parseLong(part)
                    : part;
            v = Py.getitem(v, key);
        }
        return v;
    }

    private static Object sortKey(Object v, boolean caseSensitive) {
        return !caseSensitive && v instanceof String s ? s.toLowerCase(java.util.Locale.ROOT) : v;
    }

    private List<Object> map(Object value, List<Object> args, Map<String, Object> kw) {
        List<Object> out = new ArrayList<>();
        if (kw.containsKey("attribute")) {
            Object attribute = kw.get("attribute");
            Object dflt = kw.get("default");
            for (Object item : Py.iterate(value)) {
                Object v = attribute(item, attribute);
                out.add(v instanceof Undefined && kw.containsKey("default") ? dflt : v);
            }
            return out;
        }
        if (args.isEmpty()) {
            throw new TemplateException("FilterArgumentError: map requires a filter argument");
        }
        String filterName = Py.str(args.getFirst());
        List<Object> rest = args.subList(1, args.size());
        for (Object item : Py.iterate(value)) {
            out.add(filter(filterName, item, rest, kw));
        }
        return out;
    }

    private List<Object> select(Object value, List<Object> args, Map<String, Object> kw, boolean keep, boolean byAttribute) {
        List<Object> out = new ArrayList<>();
        int offset = byAttribute ? 1 : 0;
        Object attribute = byAttribute ? args.getFirst() : null;
        String testName = args.size() > offset ? Py.str(args.get(offset)) : null;
        List<Object> testArgs = args.size() > offset + 1 ? args.subList(offset + 1, args.size()) : List.of();
        for (Object item : Py.iterate(value)) {
            Object subject = byAttribute ? attribute(item, attribute) : item;
            boolean result = testName == null ? Py.truthy(subject) : test(testName, subject, testArgs, Map.of());
            if (result == keep) {
                out.add(item);
            }
        }
        return out;
    }

    private static Object toInt(Object value, Object dflt, long base) {
        return switch (value) {
            case null -> dflt;
            case Long l -> l;
            case Boolean b -> b ? 1L : 0L;
            case Double d -> (long) (double) d;
            case String s -> {
                String t = s.strip().replace("_", "");
                try {
                    if (base == 16 && (t.startsWith("0x") || t.startsWith("0X"))) {
                        t = t.substring(2);
                    }
                    yield Long.parseLong(t, (int) base);
                } catch (NumberFormatException e) {
                    try {
                        yield (long) Double.parseDouble(t);
                    } catch (NumberFormatException e2) {
                        yield dflt;
                    }
                }
            }
            default -> dflt;
        };
    }

    private static Object toFloat(Object value, Object dflt) {
        return switch (value) {
            case null -> dflt;
            case Double d -> d;
            case Long l -> (double) l;
            case Boolean b -> b ? 1.0 : 0.0;
            case String s -> {
                try {
                    yield Double.parseDouble(s.strip());
                } catch (NumberFormatException e) {
                    yield dflt;
                }
            }
            default -> dflt;
        };
    }

    private static Object round(Object value, int precision, String method) {
        double d = Py.toDouble(value);
        return switch (method) {
            case "common" -> new BigDecimal(d).setScale(precision, RoundingMode.HALF_EVEN).doubleValue();
            case "ceil" -> Math.ceil(d * Math.pow(10, precision)) / Math.pow(10, precision);
            case "floor" -> Math.floor(d * Math.pow(10, precision)) / Math.pow(10, precision);
            default -> throw new TemplateException("FilterArgumentError: method must be common, ceil or floor");
        };
    }

    private static String indent(String s, Object width, boolean first, boolean blank) {
        String indention = width instanceof String w ? w : " ".repeat((int) Py.toLong(width));
        List<Object> lines = StringMethods.splitlines(s + "\n", false);
        StringBuilder rv = new StringBuilder();
        if (blank) {
            for (int i = 0; i < lines.size(); i++) {
                if (i > 0) {
                    rv.append('\n').append(indention);
                }
                rv.append((String) lines.get(i));
            }
        } else {
            rv.append((String) lines.getFirst());
            for (int i = 1; i < lines.size(); i++) {
                String line = (String) lines.get(i);
                rv.append('\n').append(line.isEmpty() ? "" : indention + line);
            }
        }
        return first ? indention + rv : rv.toString();
    }

    private static String htmlEscape(String s) {
        return s.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;").replace("'", "&#39;")
                .replace("\"", "&#34;");
    }

    // ---- tests ----

    boolean test(String name, Object value, List<Object> args, Map<String, Object> kw) {
        return switch (name) {
            case "defined" -> !(value instanceof Undefined);
            case "undefined" -> value instanceof Undefined;
            case "none" -> value == null;
            case "boolean" -> value instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(value);
            case "false" -> Boolean.FALSE.equals(value);
            case "integer" -> value instanceof Long;
            case "float" -> value instanceof Double;
            case "number" -> Py.isNumber(value);
            case "string" -> value instanceof String;
            case "mapping" -> value instanceof Map;
            case "iterable" -> value instanceof String || value instanceof List || value instanceof Map
                    || value instanceof Undefined;
            case "sequence" -> value instanceof String || value instanceof List || value instanceof Map
                    || value instanceof Undefined;
            case "callable" -> value instanceof Callable;
            case "sameas" -> value == args.getFirst() || (value != null && isSingleton(value) && value.equals(args.getFirst()));
            case "escaped" -> false;
            case "odd" -> Py.toLong(value) % 2 != 0;
            case "even" -> Py.toLong(value) % 2 == 0;
            case "divisibleby" -> Py.toLong(value) % Py.toLong(args.getFirst()) == 0;
            case "eq", "equalto", "==" -> Py.eq(value, args.getFirst());
            case "ne", "!=" -> !Py.eq(value, args.getFirst());
            case "lt", "lessthan", "<" -> Py.compare(value, args.getFirst(), "<") < 0;
            case "le", "<=" -> Py.compare(value, args.getFirst(), "<=") <= 0;
            case "gt", "greaterthan", ">" -> Py.compare(value, args.getFirst(), ">") > 0;
            case "ge", ">=" -> Py.compare(value, args.getFirst(), ">=") >= 0;
            case "in" -> Py.contains(args.getFirst(), value);
            case "lower" -> {
                String s = Py.str(value);
                yield s.codePoints().anyMatch(Character::isLowerCase) && s.codePoints().noneMatch(Character::isUpperCase);
            }
            case "upper" -> {
                String s = Py.str(value);
                yield s.codePoints().anyMatch(Character::isUpperCase) && s.codePoints().noneMatch(Character::isLowerCase);
            }
            case "filter" -> FILTER_NAMES.contains(Py.str(value));
            case "test" -> TEST_NAMES.contains(Py.str(value));
            default -> throw new TemplateException("TemplateAssertionError: No test named '" + name + "'.");
        };
    }

    private static boolean isSingleton(Object v) {
        return v instanceof Boolean;
    }

    private static final java.util.Set<String> FILTER_NAMES = java.util.Set.of("tojson", "default", "d", "length",
            "count", "string", "safe", "e", "escape", "forceescape", "trim", "upper", "lower", "title", "capitalize",
            "center", "replace", "first", "last", "list", "reverse", "join", "items", "dictsort", "map", "select",
            "reject", "selectattr", "rejectattr", "attr", "int", "float", "abs", "round", "sum", "min", "max",
            "unique", "sort", "batch", "indent", "wordcount", "format", "truncate", "pprint");

    private static final java.util.Set<String> TEST_NAMES = java.util.Set.of("defined", "undefined", "none",
            "boolean", "true", "false", "integer", "float", "number", "string", "mapping", "iterable", "sequence",
            "callable", "sameas", "escaped", "odd", "even", "divisibleby", "eq", "equalto", "ne", "lt", "lessthan",
            "le", "gt", "greaterthan", "ge", "in", "lower", "upper", "filter", "test");
}
