package io.fairlane.engine.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.fairlane.engine.EngineException;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.tokenizer.BuiltinTokenizer;
import io.fairlane.engine.tokenizer.Tokenizer;
import io.fairlane.engine.tokenizer.TokenizerConfig;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PromptEncoderTest {

    private static final Tokenizer TOKENIZER = BuiltinTokenizer.tokenizer();
    private static final PromptEncoder ENCODER = new PromptEncoder(TOKENIZER,
            Optional.of(ChatTemplate.of(TokenizerConfig.parse(BuiltinTokenizer.tokenizerConfigJson()))));

    @Test
    void encode_chat_startsWithImStartAsOneToken() {
        PreparedPrompt p = ENCODER.encode(new Prompt.Chat(List.of(Map.of("role", "user", "content", "hi")), List.of(),
                true, Map.of()));
        assertThat(p.tokenIds()[0]).isEqualTo(TOKENIZER.tokenId(BuiltinTokenizer.IM_START).orElseThrow());
    }

    @Test
    void encode_chat_keepsRenderedTextForEcho() {
        PreparedPrompt p = ENCODER.encode(new Prompt.Chat(List.of(Map.of("role", "user", "content", "hi")), List.of(),
                false, Map.of()));
        assertThat(p.text()).isEqualTo("<|im_start|>user\nhi<|im_end|>\n");
    }

    @Test
    void encode_templateRejection_isInvalidRequestNamingMessages() {
        EngineException e = catchThrowableOfType(EngineException.class, () -> ENCODER.encode(new Prompt.Chat(
                List.of(Map.of("role", "user", "content", "a"), Map.of("role", "system", "content", "late")),
                List.of(), true, Map.of())));
        assertThat(e.kind() + " " + e.param() + " " + e.getMessage()).isEqualTo("INVALID_REQUEST messages the chat "
                + "template rejected the messages: A system message is only allowed as the first message.");
    }

    @Test
    void encode_chatWithoutTemplate_isInvalidRequest() {
        PromptEncoder noTemplate = new PromptEncoder(TOKENIZER, Optional.empty());
        EngineException e = catchThrowableOfType(EngineException.class, () -> noTemplate.encode(
                new Prompt.Chat(List.of(), List.of(), true, Map.of())));
        assertThat(e.kind()).isEqualTo(EngineException.Kind.INVALID_REQUEST);
    }

    @Test
    void encode_tokenIdOutsideVocabulary_isInvalidRequest() {
        EngineException e = catchThrowableOfType(EngineException.class,
                () -> ENCODER.encode(new Prompt.TokenIds(new int[] {1, BuiltinTokenizer.VOCAB_SIZE})));
        assertThat(e.getMessage()).contains("position 1");
    }

    @Test
    void encode_tokenIds_decodesThemForEcho() {
        int[] ids = TOKENIZER.encode("hello there", false);
        assertThat(ENCODER.encode(new Prompt.TokenIds(ids)).text()).isEqualTo("hello there");
    }

    @Test
    void encode_text_isTheTokenizersEncoding() {
        assertThat(ENCODER.encode(new Prompt.Text("plain text")).tokenIds())
                .containsExactly(TOKENIZER.encode("plain text", true));
    }
}
