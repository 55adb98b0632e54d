package io.fairlane.engine.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fairlane.engine.Prompt;
import io.fairlane.engine.tokenizer.BuiltinTokenizer;
import io.fairlane.engine.tokenizer.TokenizerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatTemplateTest {

    private static final String NAMED = """
            {"bos_token": {"content": "<s>", "__type": "AddedToken"}, "eos_token": "</s>",
             "chat_template": [{"name": "default", "template": "D:{{ bos_token }}{{ tools }}"},
                               {"name": "tool_use", "template": "T:{{ tools | length }}"}]}
            """;

    private static final List<Map<String, Object>> HELLO = List.of(Map.of("role", "user", "content", "hi"));

    @Test
    void render_namedTemplatesWithoutTools_usesDefaultAndSeesNoneTools() {
        ChatTemplate t = ChatTemplate.of(TokenizerConfig.parse(NAMED));
        assertThat(t.render(HELLO, List.of(), true, Map.of())).isEqualTo("D:<s>None");
    }

    @Test
    void render_namedTemplatesWithTools_usesToolUse() {
        ChatTemplate t = ChatTemplate.of(TokenizerConfig.parse(NAMED));
        assertThat(t.render(HELLO, List.of(Map.of("type", "function")), true, Map.of())).isEqualTo("T:1");
    }

    @Test
    void render_extraArguments_overrideSpecialTokens() {
        ChatTemplate t = ChatTemplate.of(TokenizerConfig.parse(NAMED));
        assertThat(t.render(HELLO, List.of(), true, Map.of("bos_token", "[B]"))).isEqualTo("D:[B]None");
    }

    @Test
    void of_configWithoutTemplate_isRefused() {
        assertThatThrownBy(() -> ChatTemplate.of(TokenizerConfig.parse("{\"eos_token\": \"</s>\"}")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no chat_template");
    }

    @Test
    void render_builtinTemplateFromPrompt_endsWithAssistantOpening() {
        ChatTemplate t = ChatTemplate.of(TokenizerConfig.parse(BuiltinTokenizer.tokenizerConfigJson()));
        String text = t.render(new Prompt.Chat(HELLO, List.of(), true, Map.of()));
        assertThat(text).isEqualTo("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
    }

    @Test
    void load_chatTemplateJinjaFile_replacesDefault(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"old\"}");
        Files.writeString(dir.resolve("chat_template.jinja"), "new {{ messages | length }}");
        ChatTemplate t = ChatTemplate.of(TokenizerConfig.load(dir));
        assertThat(t.render(HELLO, List.of(), false, Map.of())).isEqualTo("new 1");
    }

    @Test
    void parse_addedTokenObjects_giveTheirContent() {
        TokenizerConfig c = TokenizerConfig.parse(NAMED);
        assertThat(c.templateVariables()).containsEntry("bos_token", "<s>").containsEntry("eos_token", "</s>");
    }

    @Test
    void parse_hugeModelMaxLength_isTreatedAsAbsent() {
        TokenizerConfig c = TokenizerConfig.parse("{\"model_max_length\": 1000000000000000019884624838656}");
        assertThat(c.modelMaxLength()).isEmpty();
    }
}
