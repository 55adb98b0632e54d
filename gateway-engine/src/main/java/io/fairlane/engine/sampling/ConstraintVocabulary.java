package io.fairlane.engine.sampling;

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
 * <p>Immutable and thread-safe.
 */
public final class ConstraintVocabulary {

    private static final byte[] NONE = new byte[0];

    private final byte[][] bytes;
    private final int[] eos;

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

    @Override
    public String toString() {
        return "ConstraintVocabulary[" + bytes.length + " tokens, " + eos.length + " EOS]";
    }
}
