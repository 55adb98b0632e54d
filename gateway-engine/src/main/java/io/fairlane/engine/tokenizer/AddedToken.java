package io.fairlane.engine.tokenizer;

import java.util.Objects;

/**
 * A token matched in the input text before normalization and BPE (an entry of {@code added_tokens}).
 *
 * @param id         the token's id
 * @param content    the exact text that stands for it
 * @param special    whether {@code decode(..., skipSpecialTokens=true)} drops it
 * @param singleWord match only where no word character touches it on either side
 * @param lstrip     the match swallows whitespace on its left
 * @param rstrip     the match swallows whitespace on its right
 * @param normalized match against normalized text instead of the raw input
 */
public record AddedToken(int id, String content, boolean special, boolean singleWord, boolean lstrip,
                         boolean rstrip, boolean normalized) {

    public AddedToken {
        Objects.requireNonNull(content, "content");
        if (id < 0) {
            throw new IllegalArgumentException("id must be >= 0, was " + id);
        }
    }

    /** A special token with no stripping, matched on raw text: what chat control tokens are. */
    public static AddedToken special(int id, String content) {
        return new AddedToken(id, content, true, false, false, false, false);
    }
}
