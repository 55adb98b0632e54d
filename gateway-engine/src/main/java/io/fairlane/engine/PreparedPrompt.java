package io.fairlane.engine;

import java.util.Objects;

/**
 * A tokenized prompt.
 *
 * @param tokenIds the ids the model will see
 * @param text     the rendered text (for {@code echo}); for token-id prompts, their decoding
 * @param thinking where the prompt leaves a thinking model: whether the output starts inside, may open or has no
 *                 think block ({@link ThinkingMode})
 */
public record PreparedPrompt(int[] tokenIds, String text, ThinkingMode thinking) {

    public PreparedPrompt {
        Objects.requireNonNull(tokenIds, "tokenIds");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(thinking, "thinking");
    }

    /** A prompt whose output has no think block ({@link ThinkingMode#NONE}). */
    public PreparedPrompt(int[] tokenIds, String text) {
        this(tokenIds, text, ThinkingMode.NONE);
    }

    public int length() {
        return tokenIds.length;
    }

    @Override
    public String toString() {
        return "PreparedPrompt[" + tokenIds.length + " tokens]";
    }
}
