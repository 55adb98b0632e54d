package io.fairlane.engine.grammar;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Compiles one schema node into a fragment of an automaton. {@link SchemaCompiler} implements it with its
 * dispatch on the node's keywords and hands it to the parts that find values nested in others ({@code $ref}
 * targets, properties, array items), so that they can recurse without depending on the orchestrator.
 *
 * <p>Called on the compiling thread only.
 */
@FunctionalInterface
interface ValueCompiler {

    /**
     * @param ptr   the JSON pointer of {@code schema}, for refusals
     * @param depth how many objects and arrays enclose it
     */
    ByteNfa.Frag value(ByteNfa nfa, SchemaDocument doc, JsonNode schema, String ptr, int depth);
}
