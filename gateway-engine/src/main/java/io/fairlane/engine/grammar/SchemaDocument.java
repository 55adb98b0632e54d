package io.fairlane.engine.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.Map;

/**
 * One schema document inside a compilation: the root its {@code $ref} pointers resolve against, whether OpenAI's
 * strict mode applies to it, and the rules already declared for its recursive references. A tool call puts
 * several documents (one per function) into one grammar; the index keeps their pointers apart.
 *
 * <p>Mutable (the rules map grows as recursive references are met); confined to the compiling thread.
 */
final class SchemaDocument {

    final int index;
    final JsonNode root;
    final boolean strict;
    /** Rule ids of the recursive {@code $ref} targets met so far, by JSON pointer. */
    final Map<String, Integer> refRules = new HashMap<>();

    SchemaDocument(int index, JsonNode root, boolean strict) {
        this.index = index;
        this.root = root;
        this.strict = strict;
    }
}
