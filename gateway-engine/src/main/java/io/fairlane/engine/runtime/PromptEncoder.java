package io.fairlane.engine.runtime;

import io.fairlane.engine.EngineException;
import io.fairlane.engine.EngineException.Kind;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.ThinkingMode;
import io.fairlane.engine.template.ChatTemplate;
import io.fairlane.engine.template.TemplateException;
import io.fairlane.engine.tokenizer.Tokenizer;
import io.fairlane.engine.tokenizer.TokenizerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The one way a request's {@link Prompt} becomes the token ids a model sees, as vLLM's OpenAI server does it:
 * a chat is rendered through the model's chat template and tokenized without adding special tokens again (the
 * template writes its own BOS); plain text is tokenized with the tokenizer's special tokens (a BOS where the
 * model wants one), as legacy completions are; token ids pass through, checked against the vocabulary, and are
 * decoded for {@code echo}.
 *
 * <p>Every refusal is an {@link EngineException} of kind {@code INVALID_REQUEST} naming {@code messages} or
 * {@code prompt}; the gateway shows these messages to clients as they are.
 *
 * <p>Immutable; any thread may call it (the gateway prepares prompts off the engine loop).
 */
final class PromptEncoder implements PromptPreparer {

    private final Tokenizer tokenizer;
    private final Optional<ChatTemplate> chatTemplate;
    /** Whether the template writes think blocks: the model reasons before it answers. */
    private final boolean thinks;
    private final String fingerprint;

    PromptEncoder(Tokenizer tokenizer, Optional<ChatTemplate> chatTemplate) {
        this(tokenizer, chatTemplate, false, "");
    }

    PromptEncoder(Tokenizer tokenizer, Optional<ChatTemplate> chatTemplate, boolean thinks, String fingerprint) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.chatTemplate = Objects.requireNonNull(chatTemplate, "chatTemplate");
        this.thinks = thinks;
        this.fingerprint = Objects.requireNonNull(fingerprint, "fingerprint");
    }

    /**
     * The encoder for the model in {@code modelDir}: its {@code tokenizer_config.json} chat template (or a
     * {@code chat_template.jinja} beside it), compiled once; a model without one answers chats with a 400 that
     * points at the completions endpoint.
     *
     * @throws IOException       when the tokenizer config cannot be read
     * @throws TemplateException when the template does not compile
     */
    static PromptEncoder load(Path modelDir, Tokenizer tokenizer) throws IOException {
        TokenizerConfig config = TokenizerConfig.load(modelDir);
        boolean thinks = config.chatTemplates().values().stream()
                .anyMatch(source -> source.contains(ThinkingMode.CLOSE_TAG));
        return new PromptEncoder(tokenizer, config.chatTemplates().isEmpty()
                ? Optional.empty() : Optional.of(ChatTemplate.of(config)), thinks, fingerprint(modelDir));
    }

    /** A short SHA-256 over the files the prompt path is loaded from, those present, in a fixed order. */
    static String fingerprint(Path modelDir) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK provides SHA-256", e);
        }
        for (String name : List.of("tokenizer.json", "tokenizer_config.json", "chat_template.jinja",
                "chat_template.json")) {
            Path f = modelDir.resolve(name);
            sha.update((name + ":").getBytes(StandardCharsets.UTF_8));
            if (Files.isRegularFile(f)) {
                sha.update(Files.readAllBytes(f));
            }
        }
        return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    }

    @Override
    public String fingerprint() {
        return fingerprint;
    }

    boolean hasChatTemplate() {
        return chatTemplate.isPresent();
    }

    @Override
    public PreparedPrompt prepare(Prompt prompt) {
        Objects.requireNonNull(prompt, "prompt");
        return switch (prompt) {
            case Prompt.Text t -> new PreparedPrompt(tokenizer.encode(t.text(), true), t.text());
            case Prompt.TokenIds ids -> {
                RequestValidation.checkVocabulary(ids.ids(), tokenizer.vocabSize(), "prompt");
                yield new PreparedPrompt(ids.ids().clone(), tokenizer.decode(ids.ids(), false));
            }
            case Prompt.Chat c -> {
                String text = render(c);
                yield new PreparedPrompt(tokenizer.encode(text, false), text, ThinkingMode.detect(text, thinks));
            }
        };
    }

    /**
     * The prompt with ids this same path computed elsewhere (a router): checked against the vocabulary and taken as
     * they are. A chat is still rendered, for its text (echo, thinking detection), but not tokenised; text keeps the
     * caller's text; token-id prompts carry their own ids and are prepared as usual.
     */
    @Override
    public PreparedPrompt prepare(Prompt prompt, int[] tokenIds) {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(tokenIds, "tokenIds");
        return switch (prompt) {
            case Prompt.Text t -> {
                RequestValidation.checkVocabulary(tokenIds, tokenizer.vocabSize(), "prompt");
                yield new PreparedPrompt(tokenIds.clone(), t.text());
            }
            case Prompt.TokenIds ids -> prepare(prompt);
            case Prompt.Chat c -> {
                String text = render(c);
                RequestValidation.checkVocabulary(tokenIds, tokenizer.vocabSize(), "messages");
                yield new PreparedPrompt(tokenIds.clone(), text, ThinkingMode.detect(text, thinks));
            }
        };
    }

    private String render(Prompt.Chat chat) {
        ChatTemplate template = chatTemplate.orElseThrow(() -> new EngineException(Kind.INVALID_REQUEST,
                "this model has no chat template; use the completions endpoint", "messages"));
        try {
            return template.render(chat);
        } catch (TemplateException e) {
            throw new EngineException(Kind.INVALID_REQUEST, (e.raisedByTemplate()
                    ? "the chat template rejected the messages: "
                    : "the chat template could not render the messages: ") + e.getMessage(), "messages");
        }
    }

    @Override
    public String toString() {
        return "PromptEncoder[" + tokenizer + ", chat template " + chatTemplate.isPresent() + "]";
    }
}
