package io.fairlane.engine.runtime;

import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.PromptTokenizer;

/**
 * Renders chats through the model's chat template and tokenizes. Any thread may call it.
 *
 * <p>Throws {@link io.fairlane.engine.EngineException} ({@code INVALID_REQUEST}) for prompts the template or
 * tokenizer refuses.
 */
@FunctionalInterface
interface PromptPreparer extends PromptTokenizer {

    @Override
    PreparedPrompt prepare(Prompt prompt);

    /** {@link #prepare} reusing ids the same path computed elsewhere; preparers that cannot, prepare as usual. */
    default PreparedPrompt prepare(Prompt prompt, int[] tokenIds) {
        return prepare(prompt);
    }
}
