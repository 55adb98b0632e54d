package io.fairlane.engine.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Objects and arrays, the values that nest. An object is its properties in the schema's order, each property's
 * value built once whether a comma comes before it or not, or a map with free keys where the schema lists no
 * properties. An array is a loop over one item, or, for {@code minItems}/{@code maxItems}, counted calls of an
 * item rule of its own, so that a bound of a hundred costs a hundred call edges rather than a hundred copies of
 * the item. The any-value rule (a {@code true} schema, or one with no keywords that constrain) lives here too, as
 * it is built from the same object and array shapes.
 *
 * <p>Mutable (the item rules and the any-value rule, declared once per compilation); confined to the compiling
 * thread.
 */
final class ObjectsAndArrays {

    private final CompileBudget budget;
    private final GrammarBuilder rules;
    private final ValueCompiler values;
    private final RefResolver refs;
    private final StringsAndNumbers scalars;
    /** Item rules by document, pointer and depth. */
    private final Map<String, Integer> itemRules = new HashMap<>();
    private int anyRule = -1;

    ObjectsAndArrays(CompileBudget budget, GrammarBuilder rules, ValueCompiler values, RefResolver refs,
                     StringsAndNumbers scalars) {
        this.budget = budget;
        this.rules = rules;
        this.values = values;
        this.refs = refs;
        this.scalars = scalars;
    }

    /**
     * An object: its properties in the schema's order, the required ones always and the others optional, or a
     * map with free keys where the schema lists no properties and does not forbid others.
     */
    ByteNfa.Frag object(ByteNfa nfa, SchemaDocument doc, JsonNode schema, String ptr, int depth) {
        SchemaParser.checkNesting(doc.strict, depth, "properties", ptr);
        JsonNode props = schema.get("properties");
        if (props != null && !props.isObject()) {
            throw new SchemaException("properties must be an object", "properties", ptr);
        }
        JsonNode additional = schema.get("additionalProperties");
        if (additional != null && !additional.isBoolean() && !additional.isObject()) {
            throw new SchemaException("additionalProperties must be a boolean or a schema", "additionalProperties",
                    ptr);
        }
        boolean closed = additional != null && additional.isBoolean() && !additional.asBoolean();
        Set<String> required = new LinkedHashSet<>();
        JsonNode req = schema.get("required");
        if (req != null) {
            if (!req.isArray()) {
                throw new SchemaException("required must be an array of property names", "required", ptr);
            }
            for (JsonNode r : req) {
                if (!r.isTextual()) {
                    throw new SchemaException("required must be an array of property names", "required", ptr);
                }
                required.add(r.asText());
            }
        }
        Map<String, JsonNode> properties = new LinkedHashMap<>();
        if (props != null) {
            props.properties().forEach(e -> properties.put(e.getKey(), e.getValue()));
        }
        if (doc.strict) {
            SchemaParser.checkStrictObject(closed, properties.keySet(), required, ptr);
        }
        Map<String, String> pointers = new LinkedHashMap<>();
        properties.keySet().forEach(n -> pointers.put(n, ptr + "/properties/" + RefResolver.escape(n)));
        for (String name : required) {
            if (!properties.containsKey(name)) {
                if (closed) {
                    throw new SchemaException("required names '" + name + "', which is not in properties while"
                            + " additionalProperties is false: no object can satisfy it", "required", ptr);
                }
                properties.put(name, additional != null && additional.isObject() ? additional : BooleanNode.TRUE);
                pointers.put(name, additional != null && additional.isObject() ? ptr + "/additionalProperties"
                        : ptr + "/required");
            }
        }
        if (properties.isEmpty() && !closed) {
            // A map: any keys, values of the additionalProperties schema (or any value).
            return map(nfa, doc, additional != null && additional.isObject() ? additional : null,
                    ptr + "/additionalProperties", depth);
        }
        // Properties in order. none(i): before property i, nothing written yet; some(i): something written, so
        // property i needs a comma first. Each value is built once: both ways in lead to the same member.
        List<String> names = new ArrayList<>(properties.keySet());
        int n = names.size();
        int[] none = new int[n + 1];
        int[] some = new int[n + 1];
        for (int i = 0; i <= n; i++) {
            none[i] = nfa.newState();
            some[i] = nfa.newState();
        }
        ByteNfa.Frag brace = nfa.literal("{");
        nfa.epsilon(brace.end(), none[0]);
        for (int i = 0; i < n; i++) {
            String name = names.get(i);
            ByteNfa.Frag member = nfa.seq(nfa.literal(SchemaParser.json(name) + ":"), space(nfa),
                    values.value(nfa, doc, properties.get(name), pointers.get(name), depth));
            ByteNfa.Frag comma = nfa.seq(nfa.literal(","), space(nfa));
            nfa.epsilon(none[i], member.start());
            nfa.epsilon(some[i], comma.start());
            nfa.epsilon(comma.end(), member.start());
            nfa.epsilon(member.end(), some[i + 1]);
            if (!required.contains(name)) {
                nfa.epsilon(none[i], none[i + 1]);
                nfa.epsilon(some[i], some[i + 1]);
            }
        }
        ByteNfa.Frag close = nfa.literal("}");
        nfa.epsilon(none[n], close.start());
        nfa.epsilon(some[n], close.start());
        return new ByteNfa.Frag(brace.start(), close.end());
    }

    /**
     * {@code open} then zero or more {@code item}s separated by a comma and an optional space, then
     * {@code close}, with {@code item} built once (a loop, not copies).
     */
    private static ByteNfa.Frag list(ByteNfa nfa, String open, ByteNfa.Frag item, String close) {
        return list(nfa, open, item, close, true);
    }

    private static ByteNfa.Frag list(ByteNfa nfa, String open, ByteNfa.Frag item, String close, boolean empty) {
        ByteNfa.Frag o = nfa.literal(open);
        ByteNfa.Frag c = nfa.literal(close);
        ByteNfa.Frag comma = nfa.seq(nfa.literal(","), space(nfa));
        nfa.epsilon(o.end(), item.start());
        if (empty) {
            nfa.epsilon(o.end(), c.start());
        }
        nfa.epsilon(item.end(), c.start());
        nfa.epsilon(item.end(), comma.start());
        nfa.epsilon(comma.end(), item.start());
        return new ByteNfa.Frag(o.start(), c.end());
    }

    /** {@code {}} or {@code {"k": v, ...}} with free keys; values of {@code valueSchema} (null: any value). */
    private ByteNfa.Frag map(ByteNfa nfa, SchemaDocument doc, JsonNode valueSchema, String ptr, int depth) {
        return list(nfa, "{", member(nfa, doc, valueSchema, ptr, depth), "}");
    }

    private ByteNfa.Frag member(ByteNfa nfa, SchemaDocument doc, JsonNode valueSchema, String ptr, int depth) {
        ByteNfa.Frag v = valueSchema == null ? anyValue(nfa) : values.value(nfa, doc, valueSchema, ptr, depth);
        return nfa.seq(nfa.literal("\""), nfa.call(scalars.freeString()), nfa.literal(":"), space(nfa), v);
    }

    private static ByteNfa.Frag space(ByteNfa nfa) {
        return nfa.optional(nfa.literal(" "));
    }

    // ---- arrays

    /** An array: a loop over one item, or counted calls of an item rule where minItems or maxItems count. */
    ByteNfa.Frag array(ByteNfa nfa, SchemaDocument doc, JsonNode schema, String ptr, int depth) {
        SchemaParser.checkNesting(doc.strict, depth, "items", ptr);
        JsonNode items = schema.get("items");
        if (items != null && !items.isObject() && !items.isBoolean()) {
            throw new SchemaException("items must be a schema (tuple forms are not supported)", "items", ptr);
        }
        int min = SchemaKeywords.count(schema, "minItems", ptr, 0);
        int max = SchemaKeywords.count(schema, "maxItems", ptr, -1);
        if (max >= 0 && max < min) {
            throw new SchemaException("maxItems is below minItems", "maxItems", ptr);
        }
        if (items != null && items.isBoolean() && !items.asBoolean()) {
            if (min > 0) {
                throw new SchemaException("items is false but minItems is above 0", "items", ptr);
            }
            return nfa.literal("[]");
        }
        String itemPtr = ptr + "/items";
        if (max == 0) {
            return nfa.literal("[]");
        }
        if (min <= 1 && max < 0) {
            ByteNfa.Frag item = items == null ? anyValue(nfa) : values.value(nfa, doc, items, itemPtr, depth);
            return list(nfa, "[", item, "]", min == 0);
        }
        // Counted: the item is a rule of its own, so each position is one call edge, not a copy of the item.
        int rule = itemRule(doc, items, itemPtr, depth);
        List<ByteNfa.Frag> parts = new ArrayList<>();
        parts.add(nfa.call(rule));
        for (int i = 1; i < min; i++) {
            parts.add(nfa.seq(nfa.literal(","), space(nfa), nfa.call(rule)));
        }
        if (max < 0) {
            parts.add(nfa.star(nfa.seq(nfa.literal(","), space(nfa), nfa.call(rule))));
        } else {
            ByteNfa.Frag optional = null;
            for (int i = Math.max(min, 1); i < max; i++) {
                ByteNfa.Frag one = nfa.seq(nfa.literal(","), space(nfa), nfa.call(rule));
                optional = optional == null ? nfa.optional(one) : nfa.optional(nfa.seq(one, optional));
            }
            if (optional != null) {
                parts.add(optional);
            }
        }
        ByteNfa.Frag body = nfa.seq(parts);
        budget.tick();
        return nfa.seq(nfa.literal("["), min > 0 ? body : nfa.optional(body), nfa.literal("]"));
    }

    /** Array items as a rule of their own, so that bounded arrays repeat a call rather than a copy. */
    private int itemRule(SchemaDocument doc, JsonNode items, String itemPtr, int depth) {
        String key = doc.index + "@" + itemPtr + "@" + depth;
        Integer known = itemRules.get(key);
        if (known != null) {
            return known;
        }
        int rule = rules.declare("#" + itemPtr);
        itemRules.put(key, rule);
        refs.later(rule, refs.inliningNow(),
                nfa -> items == null ? anyValue(nfa) : values.value(nfa, doc, items, itemPtr, depth));
        return rule;
    }

    // ---- any JSON

    /** Any JSON value, through one recursive rule. */
    ByteNfa.Frag anyValue(ByteNfa nfa) {
        return nfa.call(anyRule());
    }

    /** Any JSON object (a function's arguments when it has no parameters schema). */
    ByteNfa.Frag anyObject(ByteNfa nfa) {
        int value = anyRule();
        ByteNfa.Frag member = nfa.seq(nfa.literal("\""), nfa.call(scalars.freeString()), nfa.literal(":"), space(nfa),
                nfa.call(value));
        return list(nfa, "{", member, "}");
    }

    private int anyRule() {
        if (anyRule >= 0) {
            return anyRule;
        }
        anyRule = rules.declare("any");
        int self = anyRule;
        ByteNfa nfa = new ByteNfa(budget);
        ByteNfa.Frag object = anyObject(nfa);
        ByteNfa.Frag array = list(nfa, "[", nfa.call(self), "]");
        int number = scalars.anyNumber();
        ByteNfa.Frag body = nfa.union(List.of(object, array, nfa.seq(nfa.literal("\""), nfa.call(scalars.freeString())),
                nfa.call(number), nfa.literal("true"), nfa.literal("false"), nfa.literal("null")));
        rules.define(self, nfa, body);
        return self;
    }
}
