package io.fairlane.engine.grammar;

import io.fairlane.engine.OutputConstraint;
import java.nio.charset.StandardCharsets;

/** Test helpers: compile a schema and ask whether a text is a sentence of its grammar. */
final class Sentences {

    /** One token per byte value: any text can be fed byte by byte. */
    static final VocabularyIndex BYTES = VocabularyIndex.of(257, id -> id < 256 ? new byte[] {(byte) id} : null);

    private Sentences() {
    }

    static Grammar strict(String schema) {
        return Grammars.compileUncached(new OutputConstraint.JsonSchema("t", schema, true));
    }

    static Grammar lax(String schema) {
        return Grammars.compileUncached(new OutputConstraint.JsonSchema("t", schema, false));
    }

    /** Whether {@code text} is a complete sentence of {@code g}. */
    static boolean accepts(Grammar g, String text) {
        GrammarMatcher m = new GrammarMatcher(g, BYTES);
        return m.advance(text.getBytes(StandardCharsets.UTF_8), 0) && m.complete();
    }

    /** Whether {@code text} is a prefix of some sentence of {@code g}. */
    static boolean prefix(Grammar g, String text) {
        GrammarMatcher m = new GrammarMatcher(g, BYTES);
        return m.advance(text.getBytes(StandardCharsets.UTF_8), 0);
    }
}
