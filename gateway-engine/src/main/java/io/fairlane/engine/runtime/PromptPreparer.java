package io.fairlane.engine.runtime;

import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;

/**
 * Renders chats through the model's chat template and tokenizes. Any thread may call it.
 *
 * <p>Throws {@link io.fairlane.engine.EngineException} ({@code INVALID_REQUEST}) for prompts the template or
 * tokenizer refuses.
 */
@FunctionalInterface
interface PromptPreparer {

    PreparedPrompt prepare(Prompt prompt);
}
