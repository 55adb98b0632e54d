package io.fairlane.engine.sampling;

import io.fairlane.engine.grammar.VocabularyIndex;
import java.util.Arrays;
import java.util.Collection;
import java.util.Objects;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;

/**
 * What constrained decoding needs to know about a model's vocabulary, computed once per tokenizer: the bytes each
 * token adds to the decoded text, and which ids end a generation. Special tokens (chat markers and the like) and
 * ids the tokenizer does not know (padding rows of the output layer) add no text the constraint could account
 * for, so they are never allowed; EOS ids are allowed exactly when the constrained text is complete.
 *
 * <p>Also holds, built on first use, what grammar-constrained decoding derives from the vocabulary (the token trie
 * and the per-state masks of {@link VocabularyIndex}) and the few token lists a thinking model's output needs.
 *
 * <p>Immutable (apart from those lazily built, immutable parts) and thread-safe.
 */
public final class ConstraintVocabulary {

    private static final byte[] NONE = new byte[0];

    private final byte[][] bytes;
    private final int[] eos;
    private volatile VocabularyIndex grammarIndex;
    private volatile int[][] thinkingLists;

    private ConstraintVocabulary(byte[][] bytes, int[] eos) {
        this.bytes = bytes;
        this.eos = eos;
    }

    /**
     * @param size        the model's output vocabulary (logits row length)
     * @param tokenBytes  the bytes a token adds to decoded text
     * @param special     whether an id is a special token
     * @param eosTokenIds the ids that end a generation
     */
    public static ConstraintVocabulary of(int size, IntFunction<byte[]> tokenBytes, IntPredicate special,
                                          Collection<Integer> eosTokenIds) {
        Objects.requireNonNull(tokenBytes, "tokenBytes");
        Objects.requireNonNull(special, "special");
        Objects.requireNonNull(eosTokenIds, "eosTokenIds");
        if (size < 1) {
            throw new IllegalArgumentException("size must be positive, was " + size);
        }
        int[] eos = eosTokenIds.stream().mapToInt(Integer::intValue).filter(id -> id >= 0 && id < size).sorted()
                .distinct().toArray();
        byte[][] bytes = new byte[size][];
        for (int id = 0; id < size; id++) {
            byte[] b = special.test(id) || Arrays.binarySearch(eos, id) >= 0 ? null : tokenBytes.apply(id);
            bytes[id] = b == null ? NONE : b;
        }
        return new ConstraintVocabulary(bytes, eos);
    }

    public int size() {
        return bytes.length;
    }

    /** The token's bytes; empty for special, EOS and unknown ids (never allowed as text). Do not modify. */
    byte[] bytes(int id) {
        return bytes[id];
    }

    boolean isEos(int id) {
        return Arrays.binarySearch(eos, id) >= 0;
    }

    /** The EOS ids, ascending. Do not modify. */
    int[] eos() {
        return eos;
    }

    /** The vocabulary as grammar-constrained decoding sees it; built on first use (a trie of every token). */
    public VocabularyIndex grammarIndex() {
        VocabularyIndex v = grammarIndex;
        if (v == null) {
            synchronized (this) {
                v = grammarIndex;
                if (v == null) {
                    v = VocabularyIndex.of(bytes.length, id -> bytes[id]);
                    grammarIndex = v;
                }
            }
        }
        return v;
    }

    /** Tokens holding a '>' (the only ones that can complete {@code </think>}), ascending. */
    int[] closingTagCandidates() {
        return thinkingLists()[0];
    }

    /** Tokens whose first byte is whitespace, ascending. */
    int[] leadingWhitespace() {
        return thinkingLists()[1];
    }

    /** Tokens that start with {@code <think>}, ascending. */
    int[] openingTag() {
        return thinkingLists()[2];
    }

    private int[][] thinkingLists() {
        int[][] l = thinkingLists;
        if (l == null) {
            byte[] open = io.fairlane.engine.ThinkingMode.OPEN_TAG.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            java.util.stream.IntStream.Builder gt = java.util.stream.IntStream.builder();
            java.util.stream.IntStream.Builder ws = java.util.stream.IntStream.builder();
            java.util.stream.IntStream.Builder opening = java.util.stream.IntStream.builder();
            for (int id = 0; id < bytes.length; id++) {
                byte[] b = bytes[id];
                if (b.length == 0) {
                    continue;
                }
                boolean hasGt = false;
                for (byte x : b) {
                    hasGt |= x == '>';
                }
                if (hasGt) {
                    gt.add(id);
                }
                if (b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t') {
                    ws.add(id);
                }
                if (b.length >= open.length && Arrays.equals(b, 0, open.length, open, 0, open.length)) {
                    opening.add(id);
                }
            }
            l = new int[][] {gt.build().toArray(), ws.build().toArray(), opening.build().toArray()};
            thinkingLists = l;
        }
        return l;
    }

    @Override
    public String toString() {
        return "ConstraintVocabulary[" + bytes.length + " tokens, " + eos.length + " EOS]";
    }
}
