package io.fairlane.engine.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
 * <p>This class only orchestrates: it starts a grammar, dispatches each schema node on its keywords and unions
 * {@code anyOf} and type lists. The work is done by {@link SchemaParser} (reading the text, OpenAI's limits and
 * strict-mode rules), {@link SchemaKeywords} (the vocabulary and the readers of keyword values),
 * {@link RefResolver} ({@code $ref}s and the rules built after the current one), {@link Literals} ({@code enum}
 * and {@code const}), {@link ObjectsAndArrays} (and any value) and {@link StringsAndNumbers}.
 *
 * <p>Mutable; one instance compiles one grammar on one thread, and so do the parts it creates.
 */
final class SchemaCompiler {

    private final CompileBudget budget;
    private final GrammarBuilder rules;
    private final RefResolver refs;
    private final StringsAndNumbers scalars;
    private final Literals literals;
    private final ObjectsAndArrays containers;
    private int documents;

    SchemaCompiler(CompileBudget budget) {
        this.budget = budget;
        this.rules = new GrammarBuilder(budget);
        this.refs = new RefResolver(budget, rules, this::value);
        this.scalars = new StringsAndNumbers(budget, rules);
        this.literals = new Literals(scalars);
        this.containers = new ObjectsAndArrays(budget, rules, this::value, refs, scalars);
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
                args = containers.anyObject(nfa);
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

    /**
     * The fragment of one schema node: dispatches on its keywords to the part that builds it, and recurses into
     * {@code anyOf}; the parts call back here (as their {@link ValueCompiler}) for the values nested in theirs.
     */
    private ByteNfa.Frag value(ByteNfa nfa, SchemaDocument doc, JsonNode schema, String ptr, int depth) {
        budget.tick();
        if (schema.isBoolean()) {
            return schema.asBoolean() ? containers.anyValue(nfa) : nothing(nfa);
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
            return containers.anyValue(nfa);
        }
        List<ByteNfa.Frag> branches = new ArrayList<>();
        for (String type : types) {
            branches.add(switch (type) {
                case "object" -> containers.object(nfa, doc, schema, ptr, depth + 1);
                case "array" -> containers.array(nfa, doc, schema, ptr, depth + 1);
                case "string" -> scalars.string(nfa, schema, ptr);
                case "number", "integer" -> scalars.number(nfa, schema, ptr, type.equals("integer"));
                case "boolean" -> nfa.union(List.of(nfa.literal("true"), nfa.literal("false")));
                case "null" -> nfa.literal("null");
                default -> throw new IllegalStateException(type);
            });
        }
        return nfa.union(branches);
    }

    /** No value at all (the {@code false} schema): a fragment whose end cannot be reached. */
    private ByteNfa.Frag nothing(ByteNfa nfa) {
        return new ByteNfa.Frag(nfa.newState(), nfa.newState());
    }
}
