package io.fairlane.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class IncrementalDetokenizerTest {

    private static final Tokenizer BUILTIN = BuiltinTokenizer.tokenizer();

    /** Feeds every id and returns the pieces released, the flush last. */
    static List<String> stream(Tokenizer t, int[] ids, boolean skipSpecial) {
        IncrementalDetokenizer d = t.detokenizer(skipSpecial);
        List<String> pieces = new ArrayList<>();
        for (int id : ids) {
            pieces.add(d.next(id));
        }
        pieces.add(d.flush());
        return pieces;
    }

    @Test
    void next_multiByteCharacterSplitOverByteTokens_releasesItWhole() {
        // ids 0-255 of the built-in tokenizer are the bytes themselves; € is E2 82 AC
        assertThat(stream(BUILTIN, new int[] {0xE2, 0x82, 0xAC}, false)).containsExactly("", "", "€", "");
    }

    @Test
    void next_neverEndsInsideUtf8Sequence() {
        int[] ids = BUILTIN.encode("naïve 😀 中文 ok", false);
        for (String piece : stream(BUILTIN, ids, false)) {
            assertThat(piece).doesNotContain("\uFFFD");
        }
    }

    @Test
    void flush_incompleteSequence_releasesReplacementCharacter() {
        assertThat(stream(BUILTIN, new int[] {'a', 0xE2, 0x82}, false)).containsExactly("a", "", "", "\uFFFD");
    }

    @Test
    void next_invalidByteAfterLead_releasesReplacementAtOnce() {
        assertThat(stream(BUILTIN, new int[] {0xE2, 'x'}, false)).containsExactly("", "\uFFFDx", "");
    }

    @Test
    void next_specialTokenWithSkip_releasesNothing() {
        int imEnd = BUILTIN.tokenId(BuiltinTokenizer.IM_END).orElseThrow();
        assertThat(stream(BUILTIN, new int[] {'o', 'k', imEnd}, true)).containsExactly("o", "k", "", "");
    }

    @Test
    void next_specialTokenWithoutSkip_releasesItsText() {
        int imEnd = BUILTIN.tokenId(BuiltinTokenizer.IM_END).orElseThrow();
        assertThat(String.join("", stream(BUILTIN, new int[] {'o', 'k', imEnd}, false))).isEqualTo("ok<|im_end|>");
    }

    static Stream<Boolean> skipModes() {
        return Stream.of(false, true);
    }

    @ParameterizedTest
    @MethodSource("skipModes")
    void concatenation_randomIds_equalsDecode(boolean skip) {
        SplittableRandom random = new SplittableRandom(7);
        for (int round = 0; round < 500; round++) {
            int[] ids = random.ints(1 + random.nextInt(20), 0, BUILTIN.vocabSize()).toArray();
            assertThat(String.join("", stream(BUILTIN, ids, skip))).as(Arrays.toString(ids))
                    .isEqualTo(BUILTIN.decode(ids, skip));
        }
    }

    @Test
    void concatenation_encodedCorpus_equalsText() throws IOException {
        for (String text : HfTokenizerGoldenTest.corpus()) {
            String nfc = java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFC);
            assertThat(String.join("", stream(BUILTIN, BUILTIN.encode(text, false), false))).isEqualTo(nfc);
        }
    }

    @Test
    void tokenBytes_byteToken_isThatByte() {
        assertThat(BUILTIN.tokenBytes(0xE2)).containsExactly((byte) 0xE2);
    }

    @Test
    void tokenText_incompleteByte_showsReplacementCharacter() {
        assertThat(BUILTIN.tokenText(0xE2)).isEqualTo("\uFFFD");
    }

    @Test
    void tokenBytes_specialToken_isItsUtf8() {
        int imStart = BUILTIN.tokenId(BuiltinTokenizer.IM_START).orElseThrow();
        assertThat(new String(BUILTIN.tokenBytes(imStart), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("<|im_start|>");
    }
}
