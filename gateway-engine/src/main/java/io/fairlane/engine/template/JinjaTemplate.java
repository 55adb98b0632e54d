package io.fairlane.engine.template;

import io.fairlane.engine.template.Ast.Node;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A compiled Jinja template, rendered as Hugging Face transformers renders chat templates: jinja2's
 * immutable sandbox with {@code trim_blocks}, {@code lstrip_blocks} and loop controls, transformers'
 * {@code tojson}, {@code raise_exception} and {@code strftime_now}, and Python value semantics throughout
 * (so {@code {{ none }}} prints {@code None} and {@code {{ [1, 'a'] }}} prints {@code [1, 'a']}).
 *
 * <p>Immutable and thread-safe: compile once, render concurrently.
 */
public final class JinjaTemplate {

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();

    private final List<Node> body;
    private final int sourceLength;

    private JinjaTemplate(List<Node> body, int sourceLength) {
        this.body = body;
        this.sourceLength = sourceLength;
    }

    /**
     * Compiles template source.
     *
     * @throws TemplateException when the source is not valid Jinja (or uses a tag outside transformers' set)
     */
    public static JinjaTemplate compile(String source) {
        Objects.requireNonNull(source, "source");
        return new JinjaTemplate(List.copyOf(Parser.parse(source)), source.length());
    }

    /** Renders with the system clock for {@code strftime_now}. */
    public String render(Map<String, ?> variables) {
        return render(variables, Clock.systemDefaultZone());
    }

    /**
     * Renders the template.
     *
     * @param variables top-level variables: plain Java values (maps, lists, strings, numbers, booleans, null),
     *                  converted to their Python counterparts
     * @param clock     what {@code strftime_now} reads
     * @throws TemplateException when rendering fails, including {@code raise_exception} in the template
     */
    public String render(Map<String, ?> variables, Clock clock) {
        Objects.requireNonNull(variables, "variables");
        Objects.requireNonNull(clock, "clock");
        Map<String, Object> vars = new HashMap<>();
        variables.forEach((k, v) -> vars.put(k, toTemplateValue(v)));
        Builtins builtins = new Builtins(clock);
        try {
            return new Interpreter(builtins.globals(), builtins).render(body, vars);
        } catch (ArithmeticException e) {
            throw new TemplateException("OverflowError: " + e.getMessage());
        } catch (IndexOutOfBoundsException | ClassCastException e) {
            throw new TemplateException("TypeError: " + e.getMessage());
        }
    }

    /**
     * Converts a Java value to the template's value model: integral numbers to {@link Long}, other numbers to
     * {@link Double}, maps (insertion order kept) and collections copied recursively.
     */
    static Object toTemplateValue(Object v) {
        return switch (v) {
            case null -> null;
            case String s -> s;
            case Boolean b -> b;
            case Long l -> l;
            case Integer i -> (long) i;
            case Short s -> (long) s;
            case Byte b -> (long) b;
            case BigInteger b -> b.longValueExact();
            case Double d -> d;
            case Float f -> (double) f;
            case BigDecimal d -> d.doubleValue();
            case Character c -> String.valueOf(c);
            case com.fasterxml.jackson.databind.JsonNode node -> toTemplateValue(JSON.convertValue(node, Object.class));
            case Map<?, ?> m -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                m.forEach((k, val) -> out.put(toTemplateValue(k), toTemplateValue(val)));
                yield out;
            }
            case Collection<?> c -> {
                List<Object> out = new ArrayList<>(c.size());
                c.forEach(item -> out.add(toTemplateValue(item)));
                yield out;
            }
            case Object[] array -> {
                List<Object> out = new ArrayList<>(array.length);
                for (Object item : array) {
                    out.add(toTemplateValue(item));
                }
                yield out;
            }
            default -> Py.str(v.toString());
        };
    }

    @Override
    public String toString() {
        return "JinjaTemplate[" + sourceLength + " chars]";
    }
}
