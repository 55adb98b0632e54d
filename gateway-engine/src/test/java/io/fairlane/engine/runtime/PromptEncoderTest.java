package io.fairlane.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.fairlane.engine.EngineException;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.model.TestModels;
import io.fairlane.engine.tokenizer.BuiltinTokenizer;
import io.fairlane.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The prompt path as {@code Engines.open} builds it: {@link PromptEncoder#load} over a model directory's tokenizer
 * files. The refusals' messages are what clients read in a 400, so they are compared whole.
 */
class PromptEncoderTest {

    private static final Tokenizer TOKENIZER = BuiltinTokenizer.tokenizer();

    @TempDir
    static Path root;
    private static PromptEncoder encoder;

    @BeforeAll
    static void loadFromAModelDirectory() throws IOException {
        Path dir = root.resolve("builtin");
        BuiltinTokenizer.writeTo(dir);
        encoder = PromptEncoder.load(dir, TOKENIZER);
    }

    @SafeVarargs
    private static Prompt.Chat chat(boolean generationPrompt, Map<String, Object>... messages) {
        return new Prompt.Chat(List.of(messages), List.of(), generationPrompt, Map.of());
    }

    private static Map<String, Object> message(String role, String content) {
        return Map.of("role", role, "content", content);
    }

    @Test
    void load_modelWithChatTemplate_hasOne() {
        assertThat(encoder.hasChatTemplate()).isTrue();
    }

    @Test
    void prepare_chat_startsWithImStartAsOneToken() {
        PreparedPrompt p = encoder.prepare(chat(true, message("user", "hi")));
        assertThat(p.tokenIds()[0]).isEqualTo(TOKENIZER.tokenId(BuiltinTokenizer.IM_START).orElseThrow());
    }

    @Test
    void prepare_chat_keepsRenderedTextForEcho() {
        PreparedPrompt p = encoder.prepare(chat(false, message("user", "hi")));
        assertThat(p.text()).isEqualTo("<|im_start|>user\nhi<|im_end|>\n");
    }

    @Test
    void prepare_chat_tokenizedWithoutAddingSpecialTokensAgain() {
        PreparedPrompt p = encoder.prepare(chat(true, message("user", "hi")));
        assertThat(p.tokenIds()).containsExactly(TOKENIZER.encode(p.text(), false));
    }

    @Test
    void prepare_templateRejection_isInvalidRequestNamingMessages() {
        EngineException e = catchThrowableOfType(EngineException.class, () -> encoder.prepare(chat(true,
                message("user", "a"), message("system", "late"))));
        assertThat(e.kind() + " " + e.param() + " " + e.getMessage()).isEqualTo("INVALID_REQUEST messages the chat "
                + "template rejected the messages: A system message is only allowed as the first message.");
    }

    @Test
    void prepare_templateFailingToRender_isInvalidRequestSayingItCouldNotRender() throws IOException {
        Path dir = TestModels.tokenizer(root.resolve("broken-template"), TestModels.VOCAB);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\":\"<s>\",\"eos_token\":\"</s>\","
                + "\"chat_template\":\"{{ messages[0].content.missing.deeper }}\"}", StandardCharsets.UTF_8);
        PromptEncoder broken = PromptEncoder.load(dir, TOKENIZER);
        EngineException e = catchThrowableOfType(EngineException.class, () -> broken.prepare(chat(true,
                message("user", "a"))));
        assertThat(e.kind() + " " + e.param() + " " + e.getMessage())
                .startsWith("INVALID_REQUEST messages the chat template could not render the messages: ");
    }

    @Test
    void prepare_chatWithoutTemplate_isInvalidRequestPointingAtCompletions() throws IOException {
        PromptEncoder noTemplate = PromptEncoder.load(TestModels.tokenizer(root.resolve("plain"), TestModels.VOCAB),
                TOKENIZER);
        EngineException e = catchThrowableOfType(EngineException.class, () -> noTemplate.prepare(chat(true)));
        assertThat(e.kind() + " " + e.param() + " " + e.getMessage()).isEqualTo("INVALID_REQUEST messages this model"
                + " has no chat template; use the completions endpoint");
    }

    @Test
    void prepare_tokenIdOutsideVocabulary_isInvalidRequestNamingPrompt() {
        EngineException e = catchThrowableOfType(EngineException.class,
                () -> encoder.prepare(new Prompt.TokenIds(new int[] {1, BuiltinTokenizer.VOCAB_SIZE})));
        assertThat(e.kind() + " " + e.param() + " " + e.getMessage()).isEqualTo("INVALID_REQUEST prompt The prompt"
                + " holds token id " + BuiltinTokenizer.VOCAB_SIZE + ", outside this model's vocabulary of "
                + BuiltinTokenizer.VOCAB_SIZE + " tokens.");
    }

    @Test
    void prepare_tokenIds_decodesThemForEcho() {
        int[] ids = TOKENIZER.encode("hello there", false);
        assertThat(encoder.prepare(new Prompt.TokenIds(ids)).text()).isEqualTo("hello there");
    }

    @Test
    void prepare_text_isTheTokenizersEncodingWithSpecialTokens() {
        assertThat(encoder.prepare(new Prompt.Text("plain text")).tokenIds())
                .containsExactly(TOKENIZER.encode("plain text", true));
    }

    @Test
    void prepareWithIds_chat_takesTheIdsAndKeepsTheRenderedText() {
        Prompt.Chat c = chat(true, message("user", "hi"));
        PreparedPrompt own = encoder.prepare(c);

        PreparedPrompt reused = encoder.prepare(c, own.tokenIds());

        assertThat(reused.tokenIds()).containsExactly(own.tokenIds());
        assertThat(reused.text()).isEqualTo(own.text());
        assertThat(reused.thinking()).isEqualTo(own.thinking());
    }

    @Test
    void prepareWithIds_text_keepsTheCallersText_andIdsOutsideTheVocabularyAreRefused() {
        int[] ids = encoder.prepare(new Prompt.Text("hello")).tokenIds();

        assertThat(encoder.prepare(new Prompt.Text("hello"), ids).text()).isEqualTo("hello");
        EngineException e = catchThrowableOfType(EngineException.class, () -> encoder.prepare(chat(true,
                message("user", "hi")), new int[] {TOKENIZER.vocabSize()}));
        assertThat(e.kind()).isEqualTo(EngineException.Kind.INVALID_REQUEST);
        assertThat(e.param()).isEqualTo("messages");
    }

    @Test
    void promptTokenizer_ofASyntheticModel_isTheBuiltInPromptPath(@TempDir Path cache) {
        var path = LocalEngines.promptTokenizer("tiny",
                new io.fairlane.engine.EngineConfig.ModelSource.Synthetic("tiny", "f32", 42, cache));
        Prompt.Chat c = chat(true, message("user", "hi"));

        assertThat(path.prepare(c).tokenIds()).containsExactly(encoder.prepare(c).tokenIds());
        assertThat(path.fingerprint()).hasSize(16).isEqualTo(encoder.fingerprint());
        assertThat(Files.isRegularFile(cache.resolve(LocalEngines.BUILTIN_TOKENIZER_DIR).resolve("tokenizer.json")))
                .isTrue();
    }
}
