package io.fairlane.engine.template;

import io.fairlane.engine.EngineException;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.tokenizer.Tokenizer;
import java.util.Objects;
import java.util.Optional;

/**
 * Turns a request's {@link Prompt} into the token ids the model sees, the way vLLM's OpenAI server does:
 * chat prompts are rendered through the chat template and tokenized without adding special tokens again
 * (the template writes the BOS itself); plain text is tokenized with the tokenizer's special tokens (a BOS
 * where the model has one); token ids are taken as they are and decoded for {@code echo}. Every refusal is
 * an {@link EngineException} of kind {@code INVALID_REQUEST}, ready for the gateway's 400 answer.
 *
 * <p>Immutable and thread-safe.
 */
public final class PromptEncoder {

    private final Tokenizer tokenizer;
    private final Optional<ChatTemplate> chatTemplate;

    public PromptEncoder(Tokenizer tokenizer, Optional<ChatTemplate> chatTemplate) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.chatTemplate = Objects.requireNonNull(chatTemplate, "chatTemplate");
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public boolean hasChatTemplate() {
        return chatTemplate.isPresent();
    }

    public PreparedPrompt encode(Prompt prompt) {
        Objects.requireNonNull(prompt, "prompt");
        return switch (prompt) {
            case Prompt.Text text -> new PreparedPrompt(tokenizer.encode(text.text(), true), text.text());
            case Prompt.TokenIds ids -> {
                int vocab = tokenizer.vocabSize();
                for (int i = 0; i < ids.ids().length; i++) {
                    int id = ids.ids()[i];
                    if (id < 0 || id >= vocab) {
                        throw new EngineException(EngineException.Kind.INVALID_REQUEST, "token id " + id
                                + " at position " + i + " is outside the vocabulary [0, " + vocab + ")", "prompt");
                    }
                }
                yield new PreparedPrompt(ids.ids().clone(), tokenizer.decode(ids.ids(), false));
            }
            case Prompt.Chat chat -> {
                ChatTemplate template = chatTemplate.orElseThrow(() -> new EngineException(
                        EngineException.Kind.INVALID_REQUEST,
                        "this model has no chat template; use the completions endpoint", "messages"));
                String text;
                try {
                    text = template.render(chat);
                } catch (TemplateException e) {
                    throw new EngineException(EngineException.Kind.INVALID_REQUEST,
                            (e.raisedByTemplate() ? "the chat template rejected the messages: "
                                    : "the chat template could not render the messages: ") + e.getMessage(),
                            "messages");
                }
                yield new PreparedPrompt(tokenizer.encode(text, false), text);
            }
        };
    }

    @Override
    public String toString() {
        return "PromptEncoder[" + tokenizer + ", chat template " + chatTemplate.isPresent() + "]";
    }
}
