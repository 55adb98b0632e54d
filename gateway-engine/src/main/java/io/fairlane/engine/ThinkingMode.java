package io.fairlane.engine;

/**
 * Where a prompt leaves a thinking model (Qwen3's and DeepSeek-R1's {@code <think>…</think>} block), which decides
 * how the engine reads the output: the tokens of the block, its tags and the whitespace right after
 * {@code </think>} are flagged {@linkplain TokenEvent.Token#reasoning() reasoning} and counted in
 * {@link Usage#reasoningTokens()}, and an {@link OutputConstraint} applies only from the first byte of the answer
 * after them. While the model is inside the block nothing but EOS is masked, so it cannot end before answering.
 *
 * <p>The engine sets this when it prepares a chat ({@link InferenceEngine#prepare}) from the rendered prompt,
 * for models whose chat template mentions {@code </think>}; token-id and plain-text prompts are {@link #NONE}.
 */
public enum ThinkingMode {

    /** No think block: the output is the answer from its first byte (the model does not think, or the prompt
     * closed the block already, as Qwen3's template does when {@code enable_thinking} is false). */
    NONE,

    /** The output may open a think block with its first token ({@code <think>}, as Qwen3 does when thinking is
     * enabled); if it does not, it is the answer from its first byte. */
    OPTIONAL,

    /** The prompt opened a think block that the output continues (DeepSeek-R1's template ends with
     * {@code <think>}): everything up to {@code </think>} is reasoning. */
    INSIDE;

    /** The opening tag. */
    public static final String OPEN_TAG = "<think>";
    /** The closing tag. */
    public static final String CLOSE_TAG = "</think>";

    /**
     * Where {@code renderedPrompt} leaves a model whose template {@code thinks}: inside an unclosed block, after a
     * block closed at the very end (thinking switched off), or free to open one.
     */
    public static ThinkingMode detect(String renderedPrompt, boolean thinks) {
        if (!thinks) {
            return NONE;
        }
        int open = renderedPrompt.lastIndexOf(OPEN_TAG);
        int close = renderedPrompt.lastIndexOf(CLOSE_TAG);
        if (open > close) {
            return INSIDE;
        }
        if (close >= 0 && renderedPrompt.substring(close + CLOSE_TAG.length()).isBlank()) {
            return NONE;
        }
        return OPTIONAL;
    }
}
