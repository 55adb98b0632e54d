/**
 * JSON-Schema structured outputs: schemas compiled into grammars that constrained decoding enforces, so that a
 * local model's output always parses and validates.
 *
 * <p>{@link io.fairlane.engine.grammar.Grammars} compiles (and caches by SHA-256) the grammar of an
 * {@link io.fairlane.engine.OutputConstraint.JsonSchema} or a tool call with parameter schemas. The schema
 * compiler maps keywords onto byte automata: literals for keys and punctuation, character automata for patterns,
 * formats and length bounds (intersected, then spelled as UTF-8 with JSON escapes), digit-string automata for
 * numeric bounds; each rule is determinised with calls to other rules (recursive {@code $ref}s, strings, numbers)
 * as symbols. Unsupported keywords and OpenAI's limits are refused with a
 * {@link io.fairlane.engine.grammar.SchemaException} naming the keyword and its JSON pointer, within a compile
 * budget.
 *
 * <p>{@link io.fairlane.engine.grammar.GrammarMatcher} follows one output through a grammar and computes token
 * masks from per-state masks cached per vocabulary ({@link io.fairlane.engine.grammar.VocabularyIndex}): XGrammar's
 * split of context-independent tokens, decided once per state, from the few context-dependent ones walked at run
 * time through a trie of the vocabulary.
 */
package io.fairlane.engine.grammar;
