package io.fairlane.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Streaming detokenization on the real tokenizers: what is released, concatenated, is the library's decode
 * of the same ids, and no piece ends inside a character.
 */
class DetokenizerGoldenTest {

    static List<String> packages() {
        return HfTokenizerGoldenTest.PACKAGES;
    }

    private static Tokenizer tokenizer(String name) {
        return HfTokenizerGoldenTest.pair(name).ours();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packages")
    void concatenation_encodedCorpus_equalsDecode(String name) throws IOException {
        Tokenizer t = tokenizer(name);
        for (String text : HfTokenizerGoldenTest.texts(t)) {
            int[] ids = t.encode(text, true);
            for (boolean skip : new boolean[] {false, true}) {
                assertThat(String.join("", IncrementalDetokenizerTest.stream(t, ids, skip))).as("%s: %s", name, text)
                        .isEqualTo(t.decode(ids, skip));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packages")
    void pieces_encodedCorpus_neverEndMidCharacter(String name) throws IOException {
        Tokenizer t = tokenizer(name);
        for (String text : HfTokenizerGoldenTest.corpus()) {
            if (text.contains("\uFFFD")) {
                continue;
            }
            for (String piece : IncrementalDetokenizerTest.stream(t, t.encode(text, false), true)) {
                assertThat(piece).as("%s: %s", name, text).doesNotContain("\uFFFD");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packages")
    void concatenation_randomNonByteTokens_equalsDecode(String name) {
        Tokenizer t = tokenizer(name);
        SplittableRandom random = new SplittableRandom(11);
        for (int round = 0; round < 300; round++) {
            // byte-fallback runs that are invalid UTF-8 are the one documented difference: leave them out
            int[] ids = IntStream.generate(() -> random.nextInt(t.vocabSize()))
                    .filter(id -> t.token(id).map(s -> !s.matches("<0x[0-9A-F]{2}>")).orElse(true))
                    .limit(1 + random.nextInt(16)).toArray();
            boolean skip = random.nextBoolean();
            assertThat(String.join("", IncrementalDetokenizerTest.stream(t, ids, skip)))
                    .as("%s %s", name, Arrays.toString(ids)).isEqualTo(t.decode(ids, skip));
        }
    }

    @Test
    void next_llama2LeadingSpace_isStrippedOnlyAtTheStart() {
        Tokenizer t = tokenizer("llama2");
        int[] ids = t.encode("Hello world", false);
        assertThat(IncrementalDetokenizerTest.stream(t, ids, true)).containsExactly("Hello", " world", "");
    }

    @Test
    void next_llama2ByteFallbackCharacter_isReleasedWhenComplete() {
        Tokenizer t = tokenizer("llama2");
        int[] ids = t.encode("𓀀", false);  // not in the vocabulary: ▁ then four <0xNN> tokens
        List<String> pieces = IncrementalDetokenizerTest.stream(t, ids, true);
        assertThat(pieces.subList(pieces.size() - 3, pieces.size())).containsExactly("", "𓀀", "");
    }

    @Test
    void tokenBytes_llama3SpaceWord_isSpaceAndWord() {
        Tokenizer t = tokenizer("llama3");
        int id = t.tokenId("\u0120world").orElseThrow();
        assertThat(new String(t.tokenBytes(id), StandardCharsets.UTF_8)).isEqualTo(" world");
    }

    @Test
    void tokenBytes_llama2MetaSpaceWord_showsSpace() {
        Tokenizer t = tokenizer("llama2");
        int id = t.tokenId("\u2581world").orElseThrow();
        assertThat(t.tokenText(id)).isEqualTo(" world");
    }

    @Test
    void tokenBytes_llama2ByteToken_isTheByte() {
        Tokenizer t = tokenizer("llama2");
        int id = t.tokenId("<0xE2>").orElseThrow();
        assertThat(t.tokenBytes(id)).containsExactly((byte) 0xE2);
    }
}
