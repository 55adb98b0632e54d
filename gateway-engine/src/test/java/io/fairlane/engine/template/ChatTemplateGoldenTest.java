package io.fairlane.engine.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.engine.tokenizer.BuiltinTokenizer;
import io.fairlane.engine.tokenizer.TokenizerConfig;
import io.fairlane.engine.tokenizer.TokenizerPackages;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden chat-template tests: the real templates of Llama 3, Qwen3, Gemma 3 and DeepSeek V3 (from the
 * fetched npm tokenizer packages) and the built-in fairlane-tiny template, rendered for every case of
 * {@code template/chat-cases.json} (system prompts, multi-turn, tools, tool results, generation prompt,
 * reasoning, broken conversations), must equal Python jinja2's rendering as transformers configures it,
 * character for character; where jinja2 fails, we must fail too, with the same message when the template
 * raised it.
 */
class ChatTemplateGoldenTest {

    static Stream<String> templates() {
        return Stream.of("llama3", "qwen3", "gemma3", "deepseek_v3", "builtin");
    }

    static JsonNode cases() throws IOException {
        try (InputStream in = ChatTemplateGoldenTest.class.getResourceAsStream("/template/chat-cases.json")) {
            return ChatTemplateGoldens.JSON.readTree(in);
        }
    }

    private static TokenizerConfig config(String name) throws IOException {
        if (name.equals("builtin")) {
            return TokenizerConfig.parse(BuiltinTokenizer.tokenizerConfigJson());
        }
        Path models = TokenizerPackages.models(name);
        return TokenizerConfig.load(models);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return List.of();
        }
        return ChatTemplateGoldens.JSON.convertValue(node, List.class);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return Map.of();
        }
        return ChatTemplateGoldens.JSON.convertValue(node, Map.class);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("templates")
    void render_everyCase_equalsPythonJinja2(String name) throws IOException {
        JsonNode goldens = ChatTemplateGoldens.load(name);
        ChatTemplate template = ChatTemplate.of(config(name), ChatTemplateGoldens.FIXED_CLOCK);
        JsonNode cases = cases();
        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            JsonNode c = cases.get(i);
            JsonNode golden = goldens.get(i);
            String caseName = c.path("name").asText();
            assertThat(golden.path("case").asText()).isEqualTo(caseName);
            if (golden.has("output")) {
                String actual;
                try {
                    actual = template.render(list(c.get("messages")), list(c.get("tools")),
                            c.path("add_generation_prompt").asBoolean(), map(c.get("kwargs")));
                } catch (TemplateException e) {
                    mismatches.add(caseName + ": expected output, got error " + e.getMessage());
                    continue;
                }
                if (!actual.equals(golden.path("output").asText())) {
                    mismatches.add(caseName + ":\n--- expected\n" + golden.path("output").asText() + "\n--- actual\n"
                            + actual);
                }
            } else {
                TemplateException e = catchThrowableOfType(TemplateException.class, () -> template.render(
                        list(c.get("messages")), list(c.get("tools")), c.path("add_generation_prompt").asBoolean(),
                        map(c.get("kwargs"))));
                if (e == null) {
                    mismatches.add(caseName + ": expected error " + golden.path("error").asText() + ", got output");
                } else if (golden.path("kind").asText().equals("TemplateError")
                        && !e.getMessage().equals(golden.path("error").asText())) {
                    mismatches.add(caseName + ": expected error message " + golden.path("error").asText() + ", got "
                            + e.getMessage());
                }
            }
        }
        assertThat(mismatches).as(name).isEmpty();
    }

    static Stream<String> features() throws IOException {
        Path dir = Path.of("src", "test", "resources", "template", "features");
        if (!java.nio.file.Files.isDirectory(dir)) {
            return Stream.empty();
        }
        try (Stream<Path> files = java.nio.file.Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".jinja"))
                    .map(f -> f.substring(0, f.length() - ".jinja".length())).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("features")
    void render_featureTemplate_equalsPythonJinja2(String stem) throws IOException {
        JsonNode goldens = ChatTemplateGoldens.load("feature-" + stem);
        Path dir = Path.of("src", "test", "resources", "template", "features");
        JinjaTemplate template = JinjaTemplate.compile(java.nio.file.Files.readString(dir.resolve(stem + ".jinja")));
        JsonNode contexts = ChatTemplateGoldens.JSON.readTree(dir.resolve(stem + ".json").toFile());
        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < contexts.size(); i++) {
            JsonNode golden = goldens.get(i);
            Map<String, Object> vars = map(contexts.get(i));
            if (golden.has("output")) {
                try {
                    String actual = template.render(vars, ChatTemplateGoldens.FIXED_CLOCK);
                    if (!actual.equals(golden.path("output").asText())) {
                        mismatches.add("context " + i + ":\n--- expected\n" + golden.path("output").asText()
                                + "\n--- actual\n" + actual);
                    }
                } catch (TemplateException e) {
                    mismatches.add("context " + i + ": expected output, got error " + e.getMessage());
                }
            } else {
                TemplateException e = catchThrowableOfType(TemplateException.class,
                        () -> template.render(vars, ChatTemplateGoldens.FIXED_CLOCK));
                if (e == null) {
                    mismatches.add("context " + i + ": expected error " + golden.path("error").asText());
                }
            }
        }
        assertThat(mismatches).as(stem).isEmpty();
    }
}
