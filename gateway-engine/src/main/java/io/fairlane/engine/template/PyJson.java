package io.fairlane.engine.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps}, which transformers' {@code tojson} filter is: {@code ensure_ascii} (false by
 * default there), {@code indent} (a count or a string), {@code separators} and {@code sort_keys}. Output
 * matches Python byte for byte, including float formatting and the default separators ({@code ", "} and
 * {@code ": "}, or {@code ","} and {@code ": "} once an indent is given).
 */
final class PyJson {

    private final boolean ensureAscii;
    private final String indent;
    private final String itemSeparator;
    private final String keySeparator;
    private final boolean sortKeys;

    private PyJson(boolean ensureAscii, String indent, String itemSeparator, String keySeparator, boolean sortKeys) {
        this.ensureAscii = ensureAscii;
        this.indent = indent;
        this.itemSeparator = itemSeparator;
        this.keySeparator = keySeparator;
        this.sortKeys = sortKeys;
    }

    static String dumps(Object value, boolean ensureAscii, Object indent, Object separators, boolean sortKeys) {
        String indentText = switch (indent) {
            case null -> null;
            case String s -> s;
            case Long n -> " ".repeat((int) Math.max(0, n));
            case Boolean b -> " ".repeat(b ? 1 : 0);
            default -> throw Py.typeError("indent must be an int or a string");
        };
        String item = indentText == null ? ", " : ",";
        String key = ": ";
        if (separators != null) {
            if (!(separators instanceof List<?> seps) || seps.size() != 2
                    || !(seps.get(0) instanceof String a) || !(seps.get(1) instanceof String b)) {
                throw new TemplateException("ValueError: separators must be a pair of strings");
            }
            item = a;
            key = b;
        }
        StringBuilder out = new StringBuilder();
        new PyJson(ensureAscii, indentText, item, key, sortKeys).write(value, out, 0);
        return out.toString();
    }

    private void write(Object v, StringBuilder out, int depth) {
        switch (v) {
            case null -> out.append("null");
            case Boolean b -> out.append(b ? "true" : "false");
            case Long l -> out.append(l);
            case Double d -> out.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity"
                    : "-Infinity") : Py.floatRepr(d));
            case String s -> writeString(s, out);
            case List<?> list -> {
                if (list.isEmpty()) {
                    out.append("[]");
                    return;
                }
                out.append('[');
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) {
                        out.append(itemSeparator);
                    }
                    newline(out, depth + 1);
                    write(list.get(i), out, depth + 1);
                }
                newline(out, depth);
                out.append(']');
            }
            case Map<?, ?> map -> {
                if (map.isEmpty()) {
                    out.append("{}");
                    return;
                }
                List<Map.Entry<String, Object>> entries = new ArrayList<>(map.size());
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    entries.add(Map.entry(keyString(e.getKey()), e.getValue() == null ? NULL : e.getValue()));
                }
                if (sortKeys) {
                    entries.sort((x, y) -> Py.compareCodePoints(x.getKey(), y.getKey()));
                }
                out.append('{');
                for (int i = 0; i < entries.size(); i++) {
                    if (i > 0) {
                        out.append(itemSeparator);
                    }
                    newline(out, depth + 1);
                    writeString(entries.get(i).getKey(), out);
                    out.append(keySeparator);
                    Object value = entries.get(i).getValue();
                    write(value == NULL ? null : value, out, depth + 1);
                }
                newline(out, depth);
                out.append('}');
            }
            default -> throw Py.typeError("Object of type " + Py.typeName(v) + " is not JSON serializable");
        }
    }

    private static final Object NULL = new Object();

    private void newline(StringBuilder out, int depth) {
        if (indent != null) {
            out.append('\n').append(indent.repeat(depth));
        }
    }

    private static String keyString(Object key) {
        return switch (key) {
            case String s -> s;
            case null -> "null";
            case Boolean b -> b ? "true" : "false";
            case Long l -> l.toString();
            case Double d -> Py.floatRepr(d);
            default -> throw Py.typeError("keys must be str, int, float, bool or None, not " + Py.typeName(key));
        };
    }

    private void writeString(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7E)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
