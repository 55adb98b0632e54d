package io.fairlane.engine;

/**
 * A model's prompt path without its weights: the chat template and tokenizer of a model directory, rendering and
 * tokenising exactly as the engine serving that model does. A router uses it to compute a request's token ids once
 * (for its prefix key and for the engine to reuse); {@link Engines#promptTokenizer} loads one.
 *
 * <p>Immutable; any thread may call it.
 */
public interface PromptTokenizer {

    /**
     * Renders (for chat) and tokenises {@code prompt}, as {@link InferenceEngine#prepare} does.
     *
     * @throws EngineException {@link EngineException.Kind#INVALID_REQUEST} for a prompt the template or tokenizer
     *         refuses, with the message and parameter the engine would give
     */
    PreparedPrompt prepare(Prompt prompt);

    /**
     * What identifies the files this path was loaded from (tokenizer.json, tokenizer_config.json, a chat template
     * beside them): two paths with the same fingerprint make the same ids. Empty when not known.
     */
    default String fingerprint() {
        return "";
    }
}
