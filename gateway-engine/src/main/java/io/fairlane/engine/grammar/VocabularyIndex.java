package io.fairlane.engine.grammar;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntFunction;

/**
 * Everything grammar-constrained decoding keeps per vocabulary: the {@link TokenTrie}, the token masks of lexeme
 * rules (strings, numbers, formats, patterns) shared by every grammar that has them, keyed by the rule's
 * {@link GrammarBuilder#lexeme key} (bounded: the least recently used key is dropped past
 * {@value #MAX_LEXEMES}), and each live grammar's own masks (held weakly, so they go when the grammar does).
 *
 * <p>Thread-safe: engines on several threads may share an index.
 */
public final class VocabularyIndex {

    static final int MAX_LEXEMES = 2048;

    final TokenTrie trie;
    private final Map<String, AtomicReferenceArray<StateMask>> lexemes =
            new LinkedHashMap<>(64, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, AtomicReferenceArray<StateMask>> e) {
                    return size() > MAX_LEXEMES;
                }
            };
    private final Map<Grammar, TokenMasks> grammars = new WeakHashMap<>();
    private final Map<String, Object> derived = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Object> e) {
            return size() > MAX_LEXEMES;
        }
    };

    private VocabularyIndex(TokenTrie trie) {
        this.trie = trie;
    }

    /**
     * @param size  the model's output vocabulary (logits row length)
     * @param bytes the bytes each id adds to the text; empty or null for ids never allowed as text
     */
    public static VocabularyIndex of(int size, IntFunction<byte[]> bytes) {
        Objects.requireNonNull(bytes, "bytes");
        return new VocabularyIndex(TokenTrie.build(size, bytes));
    }

    /** The vocabulary size (ids 0..size-1). */
    public int size() {
        return trie.vocabulary;
    }

    /** Words of a bitset over the vocabulary. */
    public int words() {
        return trie.textTokens.length;
    }

    synchronized AtomicReferenceArray<StateMask> lexeme(String key, int states) {
        return lexemes.computeIfAbsent(key, k -> new AtomicReferenceArray<>(states));
    }

    /** A per-vocabulary value derived from lexeme automata (counted-string walks and pairings), by key. */
    synchronized Object derived(String key, java.util.function.Supplier<Object> make) {
        Object v = derived.get(key);
        if (v == null) {
            v = make.get();
            derived.put(key, v);
        }
        return v;
    }

    synchronized TokenMasks masks(Grammar grammar) {
        return grammars.computeIfAbsent(grammar, g -> new TokenMasks(g, this));
    }

    @Override
    public String toString() {
        return "VocabularyIndex[" + trie.vocabulary + " ids, " + trie.textTokenCount + " text tokens, "
                + trie.nodes() + " trie nodes]";
    }
}
