package io.fairlane.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The pipeline pieces the five real tokenizers do not use (Metaspace, other pre-tokenizers and split
 * behaviours, normalizers, stripping and normalized added tokens, other post-processors), checked against
 * the Hugging Face library on variants of the built-in tokenizer. Needs nothing fetched.
 */
class TokenizerVariantsGoldenTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final List<String> TEXTS = List.of("Hello world", "  Two  spaces and\ttabs\n\nnew lines  ",
            "Digits 12345 and 3.14, punctuation!? (yes) -- ok", "MiXeD CaSe İstanbul ÉCOLE", "ﬁ ligature ＡＢＣ ½",
            "<ctl> tokens <ctl>inside<ctl> and  <strip>  here <word>s <word> ok", "UPPER <lower> token",
            "", " ", "unicode 中文 😀 done");

    private static ObjectNode base() throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(BuiltinTokenizer.tokenizerJson());
        ArrayNode added = (ArrayNode) root.get("added_tokens");
        int next = BuiltinTokenizer.VOCAB_SIZE;
        added.add(token(next, "<ctl>", true, false, false, false, false));
        added.add(token(next + 1, "<strip>", true, false, true, true, false));
        added.add(token(next + 2, "<word>", false, true, false, false, false));
        added.add(token(next + 3, "<lower>", false, false, false, false, true));
        return root;
    }

    private static ObjectNode token(int id, String content, boolean special, boolean singleWord, boolean lstrip,
                                    boolean rstrip, boolean normalized) {
        ObjectNode t = JSON.createObjectNode();
        t.put("id", id).put("content", content).put("single_word", singleWord).put("lstrip", lstrip)
                .put("rstrip", rstrip).put("normalized", normalized).put("special", special);
        return t;
    }

    static Stream<Arguments> variants() {
        String byteLevel = "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":false,\"use_regex\":false}";
        String byteLevelRegex = "{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"trim_offsets\":false,\"use_regex\":true}";
        String metaspaceDecoder = "{\"type\":\"Sequence\",\"decoders\":[{\"type\":\"Metaspace\",\"replacement\":\"\u2581\","
                + "\"prepend_scheme\":\"always\",\"split\":true},{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":false,\"use_regex\":false}]}";
        return Stream.of(
                Arguments.of("gpt2 regex with prefix space", null, byteLevelRegex, null, null),
                Arguments.of("metaspace always split", null, seq(metaspace("always", true), byteLevel), null,
                        metaspaceDecoder),
                Arguments.of("metaspace first no split", null, seq(metaspace("first", false), byteLevel), null,
                        metaspaceDecoder),
                Arguments.of("metaspace never", null, seq(metaspace("never", true), byteLevel), null, null),
                Arguments.of("whitespace", null, seq("{\"type\":\"Whitespace\"}", byteLevel), null, null),
                Arguments.of("whitespace split", null, seq("{\"type\":\"WhitespaceSplit\"}", byteLevel), null, null),
                Arguments.of("digits individual", null, seq("{\"type\":\"Digits\",\"individual_digits\":true}",
                        byteLevel), null, null),
                Arguments.of("digits grouped", null, seq("{\"type\":\"Digits\",\"individual_digits\":false}",
                        byteLevel), null, null),
                Arguments.of("punctuation", null, seq("{\"type\":\"Punctuation\",\"behavior\":\"Isolated\"}",
                        byteLevel), null, null),
                Arguments.of("split removed", null, seq(split(" ", "Removed", false), byteLevel), null, null),
                Arguments.of("split merged with previous", null, seq(split(" ", "MergedWithPrevious", false),
                        byteLevel), null, null),
                Arguments.of("split merged with next", null, seq(split(" ", "MergedWithNext", false), byteLevel),
                        null, null),
                Arguments.of("split contiguous", null, seq(split(" ", "Contiguous", false), byteLevel), null, null),
                Arguments.of("split inverted regex", null, seq("{\"type\":\"Split\",\"pattern\":{\"Regex\":\"\\\\p{L}+\"},"
                        + "\"behavior\":\"Isolated\",\"invert\":true}", byteLevel), null, null),
                Arguments.of("lowercase", "{\"type\":\"Lowercase\"}", null, null, null),
                Arguments.of("nfkc strip prepend", "{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"NFKC\"},"
                        + "{\"type\":\"Strip\",\"strip_left\":true,\"strip_right\":true},"
                        + "{\"type\":\"Prepend\",\"prepend\":\"> \"}]}", null, null, null),
                Arguments.of("replace regex", "{\"type\":\"Replace\",\"pattern\":{\"Regex\":\"\\\\s+\"},\"content\":\" \"}",
                        null, null, null),
                Arguments.of("nfd", "{\"type\":\"NFD\"}", null, null, null),
                Arguments.of("template with after", null, null, "{\"type\":\"TemplateProcessing\",\"single\":["
                        + "{\"SpecialToken\":{\"id\":\"<|im_start|>\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},"
                        + "{\"SpecialToken\":{\"id\":\"<|im_end|>\",\"type_id\":0}}],\"pair\":[],\"special_tokens\":{"
                        + "\"<|im_start|>\":{\"id\":\"<|im_start|>\",\"ids\":[" + (BuiltinTokenizer.VOCAB_SIZE - 6)
                        + "],\"tokens\":[\"<|im_start|>\"]},\"<|im_end|>\":{\"id\":\"<|im_end|>\",\"ids\":["
                        + (BuiltinTokenizer.VOCAB_SIZE - 5) + "],\"tokens\":[\"<|im_end|>\"]}}}", null),
                Arguments.of("roberta", null, null, "{\"type\":\"RobertaProcessing\",\"sep\":[\"<|im_end|>\","
                        + (BuiltinTokenizer.VOCAB_SIZE - 5) + "],\"cls\":[\"<|im_start|>\","
                        + (BuiltinTokenizer.VOCAB_SIZE - 6) + "],\"trim_offsets\":false,\"add_prefix_space\":false}", null));
    }

    private static String seq(String... steps) {
        return "{\"type\":\"Sequence\",\"pretokenizers\":[" + String.join(",", steps) + "]}";
    }

    private static String metaspace(String scheme, boolean split) {
        return "{\"type\":\"Metaspace\",\"replacement\":\"\u2581\",\"prepend_scheme\":\"" + scheme + "\",\"split\":"
                + split + "}";
    }

    private static String split(String literal, String behavior, boolean invert) {
        return "{\"type\":\"Split\",\"pattern\":{\"String\":\"" + literal + "\"},\"behavior\":\"" + behavior
                + "\",\"invert\":" + invert + "}";
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void encodeAndDecode_variant_equalsReference(String name, String normalizer, String preTokenizer,
                                                 String postProcessor, String decoder, @TempDir Path dir)
            throws IOException {
        ObjectNode root = base();
        if (normalizer != null) {
            root.set("normalizer", JSON.readTree(normalizer));
        }
        if (preTokenizer != null) {
            root.set("pre_tokenizer", JSON.readTree(preTokenizer));
        }
        if (postProcessor != null) {
            root.set("post_processor", JSON.readTree(postProcessor));
        }
        if (decoder != null) {
            root.set("decoder", JSON.readTree(decoder));
        }
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, JSON.writeValueAsString(root));
        Tokenizer ours = Tokenizer.load(file);
        List<String> mismatches = new ArrayList<>();
        try (HuggingFaceTokenizer ref = HuggingFaceTokenizer.newInstance(file, Map.of("addSpecialTokens", "true",
                "truncation", "false", "padding", "false", "modelMaxLength", "100000000"))) {
            for (String text : TEXTS) {
                for (boolean special : new boolean[] {false, true}) {
                    long[] expected = ref.encode(text, special, false).getIds();
                    int[] actual = ours.encode(text, special);
                    if (!Arrays.equals(Arrays.stream(expected).mapToInt(Math::toIntExact).toArray(), actual)) {
                        mismatches.add("encode special=" + special + " '" + text + "': expected "
                                + Arrays.toString(expected) + " got " + Arrays.toString(actual));
                    }
                    String decodedRef = ref.decode(expected, !special);
                    String decoded = ours.decode(actual, !special);
                    if (!decodedRef.equals(decoded)) {
                        mismatches.add("decode '" + text + "': expected '" + decodedRef + "' got '" + decoded + "'");
                    }
                }
            }
        }
        assertThat(mismatches).as(name).isEmpty();
    }

    @Test
    void load_unsupportedModelType_namesTheSectionAndType(@TempDir Path dir) throws IOException {
        ObjectNode root = base();
        ((ObjectNode) root.get("model")).put("type", "Unigram");
        Files.writeString(dir.resolve("tokenizer.json"), JSON.writeValueAsString(root));
        assertThatThrownBy(() -> Tokenizer.load(dir.resolve("tokenizer.json")))
                .hasMessageContaining("model type 'Unigram' is not supported");
    }

    @Test
    void load_mergeOutsideVocabulary_isRefused() throws IOException {
        ObjectNode root = base();
        ((ArrayNode) root.get("model").get("merges")).add(JSON.readTree("[\"zzz\", \"qqq\"]"));
        assertThatThrownBy(() -> Tokenizer.fromJson(JSON.writeValueAsString(root)))
                .hasMessageContaining("not in the vocabulary");
    }

    @Test
    void fromJson_notJson_saysSo() {
        assertThatThrownBy(() -> Tokenizer.fromJson("{not json")).hasMessageContaining("not valid JSON");
    }
}
