package io.fairlane.engine;

import java.util.Objects;

/**
 * A tokenized prompt.
 *
 * @param tokenIds the ids the model will see
 * @param text     the rendered text (for {@code echo}); for token-id prompts, their decoding
 */
public record PreparedPrompt(int[] tokenIds, String text) {

    public PreparedPrompt {
        Objects.requireNonNull(tokenIds, "tokenIds");
        Objects.requireNonNull(text, "text");
    }

    public int length() {
        return tokenIds.length;
    }

    @Override
    public String toString() {
        return "PreparedPrompt[" + tokenIds.length + " tokens]";
    }
}
