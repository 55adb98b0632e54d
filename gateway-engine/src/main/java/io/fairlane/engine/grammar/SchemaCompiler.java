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
 * Turns JSON Schemas into a {@link Grammar} whose sentences are exactly the JSON texts Fairlane lets a model write
 * for them: a subset of the schema's instances, so every complete output validates. The texts are compact JSON
 * with one optional space after each {@code :} and {@code ,} (the spacing models are trained on, and no more,
 * so a model cannot stall in whitespace); properties in the schema's order.
 *
 * <p>How keywords map to the grammar:
 * <ul>
 *   <li>{@code type} (one or a list; absent: inferred from the other keywords, or any value) — a union of one
 *       branch per type; {@code null} and {@code boolean} are literals.</li>
 *   <li>{@code enum}, {@code const} — the values' compact JSON as literals, keeping only values that satisfy the
 *       schema's other keywords.</li>
 *   <li>{@code anyOf} — a union; {@code $ref} to anything in the same document ({@code #}, {@code #/$defs/x},
 *       {@code #/definitions/x}, any pointer) — inlined, except where it recurses, where it becomes a call of its
 *       own rule.</li>
 *   <li>{@code properties}, {@code required}, {@code additionalProperties} — the properties in order, the
 *       required ones always, the others optional (non-strict); extra properties only for a schema without
 *       {@code properties} whose {@code additionalProperties} allows them (a map), with free keys.</li>
 *   <li>{@code items}, {@code minItems}, {@code maxItems} — exact counts.</li>
 *   <li>{@code pattern} ({@link Regex}'s subset), {@code format} ({@link Formats}), {@code minLength},
 *       {@code maxLength} — one character automaton, intersected, so a length bound is never dropped beside a
 *       pattern.</li>
 *   <li>{@code minimum}, {@code maximum}, {@code exclusiveMinimum}, {@code exclusiveMaximum}, {@code multipleOf}
 *       — see {@link NumberLanguage}.</li>
 * </ul>
 * Annotations ({@code title}, {@code description}, {@code default}, {@code examples}, {@code $comment},
 * {@code deprecated}, {@code readOnly}, {@code writeOnly}, {@code $schema}, {@code $id}) and {@code x-}
 * extensions are ignored; every other keyword is refused with a {@link SchemaException} naming it and its path.
 *
 * <p>Strict mode adds OpenAI's rules: the root is an object, every object sets {@code additionalProperties:
 * false} and lists every property in {@code required}, and nesting is at most
 * {@value SchemaParser#STRICT_MAX_NESTING} levels. Both modes enforce OpenAI's size limits (REFERENCES.md: 5,000
 * properties, 1,000 enum values, 120,000 characters of property names, definition names, enum and const values)
 * and the {@link CompileBudget}; {@link SchemaParser} checks all of these rules.
 *
 * <p>Strings and numbers become calls of shared lexeme rules ({@link GrammarBuilder#lexeme}) so that their token
 * masks are computed once per vocabulary for every grammar that uses them.
 *
 * <p>Mutable; one instance compiles one grammar on one thread.
 */
final class SchemaCompiler {

    private final CompileBudget budget;
    private final GrammarBuilder rules;
    private final RefResolver refs;
    private final StringsAndNumbers scalars;
    private final Literals literals;
    private int documents;
    private int anyRule = -1;

    SchemaCompiler(CompileBudget budget) {
        this.budget = budget;
        this.rules = new GrammarBuilder(budget);
        this.refs = new RefResolver(budget, rules, this::value);
        this.scalars = new StringsAndNumbers(budget, rules);
        this.literals = new Literals(scalars);
    }

    /** The grammar of one JSON value valid against {@code root}. */
    Grammar compileValue(JsonNode root, boolean strict, String description) {
        SchemaDocument doc = addDocument(root, strict);
        int start = rules.declare("#");
        ByteNfa nfa = new ByteNfa(budget);
        ByteNfa.Frag body = value(nfa, doc, root, "", 0);
        rules.define(start, nfa, body);
        refs.drain();
        return rules.build(description);
    }

    /**
     * The grammar of a Hermes-style tool call, {@code {"name": "NAME", "arguments": ARGS}}, where ARGS follows
     * the named function's parameters schema (null: any JSON object).
     */
    Grammar compileToolCall(List<String> names, Map<String, JsonNode> schemas, Map<String, Boolean> strict,
                            String namePrefix, String argumentsPrefix, String suffix, String description) {
        int start = rules.declare("#");
        ByteNfa nfa = new ByteNfa(budget);
        List<ByteNfa.Frag> calls = new ArrayList<>();
        for (String name : names) {
            JsonNode schema = schemas.get(name);
            ByteNfa.Frag args;
            if (schema == null) {
                args = anyObject(nfa);
            } else {
                SchemaDocument doc = addDocument(schema, strict.get(name));
                try {
                    args = value(nfa, doc, schema, "", 0);
                    refs.drain();
                } catch (SchemaException e) {
                    String m = e.getMessage();
                    int at = m.lastIndexOf(" (keyword '");
                    throw new SchemaException("function '" + name + "': " + (at >= 0 ? m.substring(0, at) : m),
                            e.keyword(), e.pointer());
                }
            }
            calls.add(nfa.seq(nfa.literal(name + argumentsPrefix), args));
        }
        ByteNfa.Frag body = nfa.seq(nfa.literal(namePrefix), nfa.union(calls), nfa.literal(suffix));
        rules.define(start, nfa, body);
        refs.drain();
        return rules.build(description);
    }

    private SchemaDocument addDocument(JsonNode root, boolean strict) {
        return new SchemaDocument(documents++, root, strict);
    }

    // ---- values

    private ByteNfa.Frag value(ByteNfa nfa, SchemaDocument doc, JsonNode schema, String ptr, int depth) {
        budget.tick();
        if (schema.isBoolean()) {
            return schema.asBoolean() ? anyValue(nfa) : nothing(nfa);
        }
        if (!schema.isObject()) {
            throw new SchemaException("a schema must be a JSON object or a boolean", "", ptr);
        }
        SchemaKeywords.check(schema, ptr);
        if (schema.has("$ref")) {
            SchemaKeywords.requireOnly(schema, ptr, "$ref");
            return refs.ref(nfa, doc, schema.get("$ref"), ptr, depth);
        }
        if (schema.has("anyOf")) {
            SchemaKeywords.requireOnly(schema, ptr, "anyOf");
            JsonNode list = schema.get("anyOf");
            if (!list.isArray() || list.isEmpty()) {
                throw new SchemaException("anyOf must be a non-empty array of schemas", "anyOf", ptr);
            }
            List<ByteNfa.Frag> alternatives = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                alternatives.add(value(nfa, doc, list.get(i), ptr + "/anyOf/" + i, depth));
            }
            return nfa.union(alternatives);
        }
        List<String> types = SchemaKeywords.types(schema, ptr);
        if (schema.has("enum") || schema.has("const")) {
            return literals.literals(nfa, schema, ptr, types);
        }
        if (types.isEmpty()) {
            return anyValue(nfa);
        }
        List<ByteNfa.Frag> branches = new ArrayList<>();
        for (String type : types) {
            branches.add(switch (type) {
                case "object" -> object(nfa, doc, schema, ptr, depth + 1);
                case "array" -> array(nfa, doc, schema, ptr, depth + 1);
                case "string" -> scalars.string(nfa, schema, ptr);
                case "number", "integer" -> scalars.number(nfa, schema, ptr, type.equals("integer"));
                case "boolean" -> nfa.union(List.of(nfa.literal("true"), nfa.literal("false")));
                case "null" -> nfa.literal("null");
                default -> throw new IllegalStateException(type);
            });
        }
        return nfa.union(branches);
    }

    private ByteNfa.Frag nothing(ByteNfa nfa) {
        return new ByteNfa.Frag(nfa.newState(), nfa.newState());
    }

    // ---- objects

    private ByteNfa.Frag object(ByteNfa nfa, SchemaDocument doc, JsonNode schema, String ptr, int depth) {
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
                properties.put(name, additional != null && additional.isObject() ? additional
                        : BooleanNode.TRUE);
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
                    value(nfa, doc, properties.get(name), pointers.get(name), depth));
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
        ByteNfa.Frag v = valueSchema == null ? anyValue(nfa) : value(nfa, doc, valueSchema, ptr, depth);
        return nfa.seq(nfa.literal("\""), nfa.call(scalars.freeString()), nfa.literal(":"), space(nfa), v);
    }

    private static ByteNfa.Frag space(ByteNfa nfa) {
        return nfa.optional(nfa.literal(" "));
    }

    // ---- arrays

    private ByteNfa.Frag array(ByteNfa nfa, SchemaDocument doc, JsonNode schema, String ptr, int depth) {
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
            ByteNfa.Frag item = items == null ? anyValue(nfa) : value(nfa, doc, items, itemPtr, depth);
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

    private final Map<String, Integer> itemRules = new HashMap<>();

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
                nfa -> items == null ? anyValue(nfa) : value(nfa, doc, items, itemPtr, depth));
        return rule;
    }

    // ---- any JSON

    /** Any JSON value, through one recursive rule. */
    private ByteNfa.Frag anyValue(ByteNfa nfa) {
        return nfa.call(anyRule());
    }

    private ByteNfa.Frag anyObject(ByteNfa nfa) {
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
