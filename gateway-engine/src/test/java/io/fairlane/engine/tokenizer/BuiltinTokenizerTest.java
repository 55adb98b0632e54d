package io.fairlane.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuiltinTokenizerTest {

    @Test
    void vocabSize_isTheAdvertisedConstant() {
        assertThat(BuiltinTokenizer.tokenizer().vocabSize()).isEqualTo(BuiltinTokenizer.VOCAB_SIZE);
    }

    @Test
    void controlTokens_takeTheLastSpecialIdsInOrder() {
        Tokenizer t = BuiltinTokenizer.tokenizer();
        int first = 256 + BuiltinTokenizer.MERGES;
        assertThat(new int[] {t.tokenId(BuiltinTokenizer.END_OF_TEXT).orElseThrow(),
                t.tokenId(BuiltinTokenizer.IM_START).orElseThrow(), t.tokenId(BuiltinTokenizer.IM_END).orElseThrow()})
                .containsExactly(first, first + 1, first + 2);
    }

    @Test
    void encode_chatMarkup_keepsControlTokensWhole() {
        Tokenizer t = BuiltinTokenizer.tokenizer();
        int[] ids = t.encode("<|im_start|>user\nHi<|im_end|>", false);
        assertThat(new int[] {ids[0], ids[ids.length - 1]}).containsExactly(
                t.tokenId(BuiltinTokenizer.IM_START).orElseThrow(), t.tokenId(BuiltinTokenizer.IM_END).orElseThrow());
    }

    @Test
    void encode_commonEnglish_usesFewerTokensThanBytes() {
        String text = "Hello! How can I help you today? The weather in Paris is sunny.";
        assertThat(BuiltinTokenizer.tokenizer().encode(text, false).length).isLessThan(text.length() / 2);
    }

    @Test
    void decode_ofEncode_returnsTheText() throws IOException {
        Tokenizer t = BuiltinTokenizer.tokenizer();
        for (String text : HfTokenizerGoldenTest.corpus()) {
            assertThat(t.decode(t.encode(text, false), false)).isEqualTo(
                    java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFC));
        }
    }

    @Test
    void learn_runTwice_givesTheSameMerges() {
        String corpus = "the cat sat on the mat; the cat ate the rat. 12345";
        var first = BuiltinTokenizer.learn(corpus, 300);
        var second = BuiltinTokenizer.learn(corpus, 300);
        assertThat(first.tokens()).isEqualTo(second.tokens());
    }

    @Test
    void writeTo_writesFilesThatLoadToTheSameTokenizer(@TempDir Path dir) throws IOException {
        BuiltinTokenizer.writeTo(dir);
        Tokenizer loaded = Tokenizer.load(dir.resolve("tokenizer.json"));
        String text = "Files written for a synthetic model: <|im_start|>assistant\n{\"a\": 1}<|im_end|>";
        assertThat(loaded.encode(text, true)).containsExactly(BuiltinTokenizer.tokenizer().encode(text, true));
    }

    @Test
    void tokenizerConfig_namesImEndAsEosAndCarriesATemplate() throws IOException {
        JsonNode config = new ObjectMapper().readTree(BuiltinTokenizer.tokenizerConfigJson());
        assertThat(config.path("eos_token").asText() + "|" + config.path("chat_template").asText().contains("<|im_start|>"))
                .isEqualTo("<|im_end|>|true");
    }

    @Test
    void encode_equalsHuggingFaceLibraryOnItsOwnFiles(@TempDir Path dir) throws IOException {
        BuiltinTokenizer.writeTo(dir);
        System.setProperty("ai.djl.offline", "true");
        Tokenizer ours = BuiltinTokenizer.tokenizer();
        try (HuggingFaceTokenizer ref = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"),
                Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false",
                        "modelMaxLength", "100000000"))) {
            for (String text : HfTokenizerGoldenTest.texts(ours)) {
                int[] expected = Arrays.stream(ref.encode(text, false, false).getIds()).mapToInt(Math::toIntExact)
                        .toArray();
                assertThat(ours.encode(text, false)).as(text).containsExactly(expected);
            }
        }
        assertThat(Files.size(dir.resolve("tokenizer.json"))).isPositive();
    }
}
