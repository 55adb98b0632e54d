package io.fairlane.engine.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Resolves {@code $ref}s within a schema document and decides how each is compiled: inlined where it is met,
 * unless its target is already being inlined further up (a recursion), in which case it becomes a call of a rule
 * of its own, declared once per target. Such rules, and any other rule whose body must wait until the rule being
 * built is finished (counted array items), are queued here and built by {@link #drain}; each is built with the
 * set of references that were being inlined where it was declared, so that a recursion found inside it still
 * ends in a call rather than an endless inlining.
 *
 * <p>Also the home of JSON pointer segments ({@link #escape}), whose decoding {@code $ref} needs.
 *
 * <p>Mutable (the inlining set and the queue); one instance per compilation, confined to its thread.
 */
final class RefResolver {

    private final CompileBudget budget;
    private final GrammarBuilder rules;
    private final ValueCompiler values;
    private final List<Runnable> pending = new ArrayList<>();
    /** The $ref targets being inlined right now (document index + pointer): a repeat means recursion. */
    private final LinkedHashSet<String> inlining = new LinkedHashSet<>();

    RefResolver(CompileBudget budget, GrammarBuilder rules, ValueCompiler values) {
        this.budget = budget;
        this.rules = rules;
        this.values = values;
    }

    /** The fragment for the schema {@code {"$ref": refNode}} found at {@code ptr}. */
    ByteNfa.Frag ref(ByteNfa nfa, SchemaDocument doc, JsonNode refNode, String ptr, int depth) {
        if (!refNode.isTextual()) {
            throw new SchemaException("$ref must be a string", "$ref", ptr);
        }
        String ref = refNode.asText();
        if (!ref.startsWith("#")) {
            throw new SchemaException("only references within the schema (starting with '#') are supported, not '"
                    + ref + "'", "$ref", ptr);
        }
        String target = decodeFragment(ref.substring(1), ptr);
        JsonNode node = resolve(doc.root, target, ptr);
        String key = doc.index + "#" + target;
        if (inlining.contains(key) || doc.refRules.containsKey(target)) {
            return nfa.call(refRule(doc, node, target, key));
        }
        if (inlining.size() > SchemaParser.MAX_NESTING) {
            throw new SchemaException("$ref chains deeper than " + SchemaParser.MAX_NESTING + " are not supported",
                    "$ref", ptr);
        }
        inlining.add(key);
        try {
            return values.value(nfa, doc, node, target, depth);
        } finally {
            inlining.remove(key);
        }
    }

    /** The rule for a recursive reference, declared once and built after the current rule. */
    private int refRule(SchemaDocument doc, JsonNode node, String target, String key) {
        Integer known = doc.refRules.get(target);
        if (known != null) {
            return known;
        }
        int rule = rules.declare("#" + target);
        doc.refRules.put(target, rule);
        later(rule, Set.of(key), nfa -> values.value(nfa, doc, node, target, 0));
        return rule;
    }

    /** A copy of the references being inlined now, to hand to {@link #later} for a rule declared here. */
    Set<String> inliningNow() {
        return new LinkedHashSet<>(inlining);
    }

    /**
     * Queues the building of {@code rule}'s body: when {@link #drain} reaches it, {@code body} builds it into an
     * automaton of its own while {@code context} stands for the references being inlined.
     */
    void later(int rule, Set<String> context, Function<ByteNfa, ByteNfa.Frag> body) {
        pending.add(() -> {
            LinkedHashSet<String> saved = new LinkedHashSet<>(inlining);
            inlining.clear();
            inlining.addAll(context);
            ByteNfa nfa = new ByteNfa(budget);
            ByteNfa.Frag frag = body.apply(nfa);
            rules.define(rule, nfa, frag);
            inlining.clear();
            inlining.addAll(saved);
        });
    }

    /** Builds the queued rules, and those they queue in turn, in order. */
    void drain() {
        while (!pending.isEmpty()) {
            pending.removeFirst().run();
        }
    }

    /** A property or definition name as one segment of a JSON pointer (RFC 6901). */
    static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    private static String decodeFragment(String fragment, String ptr) {
        try {
            return java.net.URLDecoder.decode(fragment.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new SchemaException("$ref '#" + fragment + "' is not a valid URI fragment", "$ref", ptr);
        }
    }

    private static JsonNode resolve(JsonNode root, String pointer, String ptr) {
        if (pointer.isEmpty()) {
            return root;
        }
        if (!pointer.startsWith("/")) {
            throw new SchemaException("$ref '#" + pointer + "' is not a JSON pointer (anchors are not supported)",
                    "$ref", ptr);
        }
        JsonNode at = root;
        for (String part : pointer.substring(1).split("/", -1)) {
            String key = part.replace("~1", "/").replace("~0", "~");
            if (at.isArray() && key.matches("\\d+")) {
                at = at.get(Integer.parseInt(key));
            } else {
                at = at.get(key);
            }
            if (at == null) {
                throw new SchemaException("$ref '#" + pointer + "' points at nothing in the schema", "$ref", ptr);
            }
        }
        return at;
    }
}
