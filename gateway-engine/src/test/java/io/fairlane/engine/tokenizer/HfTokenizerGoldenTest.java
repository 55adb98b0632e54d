package io.fairlane.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden tests: our tokenizer against the Hugging Face tokenizers library itself (Rust, through DJL's
 * binding), on the tokenizer files of real models, for a corpus with Unicode, emoji, whitespace runs, code
 * and each tokenizer's own special tokens. The reference runs in the same JVM, so the goldens are computed
 * at test time from the fetched files and nothing derived from them is stored.
 */
class HfTokenizerGoldenTest {

    static final List<String> PACKAGES = List.of("llama2", "llama3", "qwen3", "gemma3", "deepseek_v3");

    /**
     * Loaded once per test JVM and shared with the other golden tests (loading the five takes seconds); the
     * native reference tokenizers live until the JVM exits.
     */
    private static final Map<String, Pair> LOADED = new ConcurrentHashMap<>();

    record Pair(Tokenizer ours, HuggingFaceTokenizer reference) {
    }

    static Pair pair(String name) {
        return LOADED.computeIfAbsent(name, n -> {
            Path models = TokenizerPackages.models(n);
            try {
                System.setProperty("ai.djl.offline", "true");
                HuggingFaceTokenizer ref = HuggingFaceTokenizer.newInstance(models.resolve("tokenizer.json"),
                        Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false",
                                "modelMaxLength", "100000000"));
                return new Pair(Tokenizer.load(models.resolve("tokenizer.json")), ref);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    static List<String> corpus() throws IOException {
        try (InputStream in = HfTokenizerGoldenTest.class.getResourceAsStream("/tokenizer/corpus.json")) {
            return new ObjectMapper().readValue(in, new TypeReference<List<String>>() { });
        }
    }

    /** Corpus texts plus texts that spell the tokenizer's own added tokens, with and without spaces around. */
    static List<String> texts(Tokenizer t) throws IOException {
        List<String> texts = new ArrayList<>(corpus());
        List<AddedToken> added = t.addedTokens();
        List<AddedToken> picks = new ArrayList<>();
        added.stream().filter(AddedToken::special).limit(6).forEach(picks::add);
        added.stream().filter(a -> !a.special()).limit(6).forEach(picks::add);
        added.stream().skip(Math.max(0, added.size() - 3)).forEach(picks::add);
        StringBuilder all = new StringBuilder();
        for (AddedToken a : picks) {
            texts.add(a.content());
            texts.add("Hello " + a.content() + " world");
            texts.add("x" + a.content() + a.content() + "y\n");
            all.append(a.content()).append(" text ").append(a.content()).append("\n\n");
        }
        texts.add(all.toString());
        texts.add(String.join("\n", corpus()));  // one long text: long words, deep merge heaps
        return texts;
    }

    static Stream<String> packages() {
        return PACKAGES.stream();
    }

    private static int[] ints(long[] ids) {
        return Arrays.stream(ids).mapToInt(Math::toIntExact).toArray();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packages")
    void encode_corpusWithoutSpecialTokens_equalsReference(String name) throws IOException {
        Pair p = pair(name);
        for (String text : texts(p.ours())) {
            int[] expected = ints(p.reference().encode(text, false, false).getIds());
            assertThat(p.ours().encode(text, false)).as("%s: %s", name, text).containsExactly(expected);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packages")
    void encode_corpusWithSpecialTokens_equalsReference(String name) throws IOException {
        Pair p = pair(name);
        for (String text : corpus()) {
            int[] expected = ints(p.reference().encode(text, true, false).getIds());
            assertThat(p.ours().encode(text, true)).as("%s: %s", name, text).containsExactly(expected);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packages")
    void decode_encodedCorpus_equalsReference(String name) throws IOException {
        Pair p = pair(name);
        for (String text : texts(p.ours())) {
            int[] ids = p.ours().encode(text, true);
            long[] longIds = Arrays.stream(ids).asLongStream().toArray();
            for (boolean skip : new boolean[] {false, true}) {
                assertThat(p.ours().decode(ids, skip)).as("%s skip=%s: %s", name, skip, text)
                        .isEqualTo(p.reference().decode(longIds, skip));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packages")
    void decode_randomIdSequences_equalsReference(String name) {
        Pair p = pair(name);
        SplittableRandom random = new SplittableRandom(20241123);
        int vocab = p.ours().vocabSize();
        for (int round = 0; round < 300; round++) {
            int[] ids = new int[1 + random.nextInt(12)];
            for (int i = 0; i < ids.length; i++) {
                // mix uniform ids with low ids, where byte tokens, control tokens and short pieces live
                ids[i] = random.nextInt(4) == 0 ? random.nextInt(Math.min(vocab, 600)) : random.nextInt(vocab);
            }
            long[] longIds = Arrays.stream(ids).asLongStream().toArray();
            boolean skip = random.nextBoolean();
            assertThat(p.ours().decode(ids, skip)).as("%s skip=%s ids=%s", name, skip, Arrays.toString(ids))
                    .isEqualTo(p.reference().decode(longIds, skip));
        }
    }
}
