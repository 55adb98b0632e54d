package io.fairlane.engine.template;

import java.util.List;
import java.util.Map;

/** Python's two string formatting styles: {@code "%s" % args} and {@code "{}".format(...)}, basic forms. */
final class Format {

    private Format() {
    }

    /** printf-style: %s %r %d %i %f %x %o %e %% with flags, width and precision; a dict argument for %(name)s. */
    static String percent(String format, Object args) {
        List<?> positional = args instanceof Values.Tuple t ? t : java.util.Collections.singletonList(args);
        Map<?, ?> mapping = args instanceof Map<?, ?> m ? m : null;
        StringBuilder out = new StringBuilder();
        int next = 0;
        int i = 0;
        while (i < format.length()) {
            char c = format.charAt(i++);
            if (c != '%') {
                out.append(c);
                continue;
            }
            if (i >= format.length()) {
                throw new TemplateException("ValueError: incomplete format");
            }
            Object value;
            String key = null;
            if (format.charAt(i) == '(') {
                int close = format.indexOf(')', i);
                key = format.substring(i + 1, close);
                i = close + 1;
            }
            int specStart = i;
            while (i < format.length() && "-+ #0123456789.".indexOf(format.charAt(i)) >= 0) {
                i++;
            }
            String spec = format.substring(specStart, i);
            char conv = format.charAt(i++);
            if (conv == '%') {
                out.append('%');
                continue;
            }
            if (key != null) {
                if (mapping == null) {
                    throw Py.typeError("format requires a mapping");
                }
                value = mapping.get(key);
            } else {
                if (next >= positional.size()) {
                    throw Py.typeError("not enough arguments for format string");
                }
                value = positional.get(next++);
            }
            out.append(convert(conv, spec, value));
        }
        if (mapping == null && next < positional.size()) {
            throw Py.typeError("not all arguments converted during string formatting");
        }
        return out.toString();
    }

    private static String convert(char conv, String spec, Object value) {
        int flagEnd = 0;
        while (flagEnd < spec.length() && "-+ #0".indexOf(spec.charAt(flagEnd)) >= 0) {
            flagEnd++;
        }
        String flags = spec.substring(0, flagEnd);
        String rest = spec.substring(flagEnd);
        int dot = rest.indexOf('.');
        int width = dot == 0 || rest.isEmpty() ? 0 : Integer.parseInt(dot < 0 ? rest : rest.substring(0, dot));
        Integer precision = dot < 0 ? null : Integer.parseInt(rest.substring(dot + 1).isEmpty() ? "0"
                : rest.substring(dot + 1));
        String body = switch (conv) {
            case 's' -> precision == null ? Py.str(value) : Py.str(value).substring(0,
                    Math.min(precision, Py.str(value).length()));
            case 'r', 'a' -> Py.repr(value);
            case 'd', 'i', 'u' -> Long.toString(Py.isNumber(value) ? (long) Py.toDouble(value) : Py.toLong(value));
            case 'x' -> Long.toHexString(Py.toLong(value));
            case 'X' -> Long.toHexString(Py.toLong(value)).toUpperCase(java.util.Locale.ROOT);
            case 'o' -> Long.toOctalString(Py.toLong(value));
            case 'f', 'F' -> String.format(java.util.Locale.ROOT, "%." + (precision == null ? 6 : precision) + "f",
                    Py.toDouble(value));
            case 'e', 'E' -> String.format(java.util.Locale.ROOT,
                    "%." + (precision == null ? 6 : precision) + (conv == 'e' ? "e" : "E"), Py.toDouble(value));
            case 'g', 'G' -> Py.floatRepr(Py.toDouble(value));
            case 'c' -> value instanceof String s ? s : new String(Character.toChars((int) Py.toLong(value)));
            default -> throw new TemplateException("ValueError: unsupported format character '" + conv + "'");
        };
        if (flags.contains("+") && "dfieu".indexOf(conv) >= 0 && !body.startsWith("-")) {
            body = "+" + body;
        }
        if (body.length() < width) {
            boolean left = flags.contains("-");
            boolean zeros = flags.contains("0") && !left && conv != 's' && conv != 'r';
            String pad = (zeros ? "0" : " ").repeat(width - body.length());
            if (zeros && (body.startsWith("-") || body.startsWith("+"))) {
                body = body.charAt(0) + pad + body.substring(1);
            } else {
                body = left ? body + pad : pad + body;
            }
        }
        return body;
    }

    /** {@code str.format}: {}, {0}, {name}, {name.attr}, {{ and }}; format specs beyond conversion are ignored. */
    static String braces(String format, List<Object> args, Map<String, Object> kwargs) {
        StringBuilder out = new StringBuilder();
        int auto = 0;
        int i = 0;
        while (i < format.length()) {
            char c = format.charAt(i);
            if (c == '{') {
                if (i + 1 < format.length() && format.charAt(i + 1) == '{') {
                    out.append('{');
                    i += 2;
                    continue;
                }
                int close = format.indexOf('}', i);
                if (close < 0) {
                    throw new TemplateException("ValueError: Single '{' encountered in format string");
                }
                String field = format.substring(i + 1, close);
                String conversion = null;
                int bang = field.indexOf('!');
                int colon = field.indexOf(':');
                if (colon >= 0) {
                    field = field.substring(0, colon);
                }
                if (bang >= 0 && bang < field.length()) {
                    conversion = field.substring(bang + 1);
                    field = field.substring(0, bang);
                }
                String[] path = field.split("\\.");
                Object value;
                if (path[0].isEmpty()) {
                    value = args.get(auto++);
                } else if (Character.isDigit(path[0].charAt(0))) {
                    value = args.get(Integer.parseInt(path[0]));
                } else {
                    if (!kwargs.containsKey(path[0])) {
                        throw new TemplateException("KeyError: '" + path[0] + "'");
                    }
                    value = kwargs.get(path[0]);
                }
                for (int k = 1; k < path.length; k++) {
                    value = Py.getattr(value, path[k]);
                }
                out.append("r".equals(conversion) ? Py.repr(value) : Py.str(value));
                i = close + 1;
            } else if (c == '}') {
                if (i + 1 < format.length() && format.charAt(i + 1) == '}') {
                    i += 2;
                    out.append('}');
                    continue;
                }
                throw new TemplateException("ValueError: Single '}' encountered in format string");
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }
}
