package io.fairlane.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.engine.OutputConstraint;
import io.fairlane.engine.tokenizer.Tokenizer;
import io.fairlane.engine.tokenizer.TokenizerPackages;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * The per-step mask, built from cached per-state masks and run-time walks, equals what trying every token on
 * the matcher says, at every step of random walks through corpus grammars.
 */
class MaskConsistencyTest {

    /** Walks {@code steps} random allowed tokens, comparing the mask with a brute-force check at each step. */
    private static List<String> mismatches(Grammar g, VocabularyIndex index, IntFunction<byte[]> bytes, long seed,
                                           int steps, int checkEvery) {
        List<String> out = new ArrayList<>();
        GrammarMatcher m = new GrammarMatcher(g, index);
        long[] bits = new long[index.words()];
        SplittableRandom r = new SplittableRandom(seed);
        for (int step = 0; step < steps && !m.complete(); step++) {
            int count = m.fillAllowed(bits);
            if (step % checkEvery == 0) {
                for (int id = 0; id < index.size(); id++) {
                    byte[] b = bytes.apply(id);
                    boolean brute = b != null && b.length > 0 && m.accepts(b, 0);
                    boolean masked = (bits[id >>> 6] >>> id & 1) != 0;
                    if (brute != masked) {
                        out.add("step " + step + " token " + id + " brute " + brute + " mask " + masked);
                    }
                }
            }
            if (count == 0) {
                out.add("step " + step + ": nothing allowed before the sentence is complete");
                break;
            }
            int k = r.nextInt(count);
            int pick = -1;
            for (int w = 0; w < bits.length && pick < 0; w++) {
                int c = Long.bitCount(bits[w]);
                if (k < c) {
                    long word = bits[w];
                    for (int j = 0; j < k; j++) {
                        word &= word - 1;
                    }
                    pick = (w << 6) + Long.numberOfTrailingZeros(word);
                }
                k -= c;
            }
            // Prefer closing bytes now and then, so walks reach the ends of strings and containers.
            if (r.nextInt(3) == 0) {
                for (int id : new int[] {'"', '}', ']'}) {
                    if ((bits[id >>> 6] >>> id & 1) != 0) {
                        pick = id;
                    }
                }
            }
            m.advance(bytes.apply(pick), 0);
        }
        return out;
    }

    @Test
    void fillAllowed_builtinVocabularyOverCorpusSample_equalsBruteForce() {
        Tokenizer t = RandomGeneration.BUILTIN;
        VocabularyIndex index = VocabularyIndex.of(t.vocabSize(), id -> t.isSpecial(id) ? null : t.tokenBytes(id));
        List<String> problems = new ArrayList<>();
        List<SchemaCorpus.Entry> corpus = SchemaCorpus.all();
        for (int i = 0; i < corpus.size(); i += 9) {
            SchemaCorpus.Entry e = corpus.get(i);
            Grammar g = Grammars.compile(new OutputConstraint.JsonSchema(e.name(), e.schema(), e.strict()));
            for (String p : mismatches(g, index, id -> t.isSpecial(id) ? null : t.tokenBytes(id), i, 300, 1)) {
                problems.add(e.name() + ": " + p);
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void fillAllowed_qwen3VocabularyOnLengthBoundedAndPatternStrings_equalsBruteForce() throws IOException {
        Tokenizer t = Tokenizer.load(TokenizerPackages.models("qwen3").resolve("tokenizer.json"));
        IntFunction<byte[]> bytes = id -> t.isSpecial(id) ? null : t.tokenBytes(id);
        VocabularyIndex index = VocabularyIndex.of(t.vocabSize(), bytes);
        Grammar g = Sentences.strict("{\"type\":\"object\",\"properties\":{\"s\":{\"type\":\"string\",\"minLength\":2,"
                + "\"maxLength\":6},\"p\":{\"type\":\"string\",\"pattern\":\"^[a-z]{1,3}-\\\\d+$\"},\"n\":{\"type\":"
                + "\"number\",\"maximum\":5}},\"required\":[\"s\",\"p\",\"n\"],\"additionalProperties\":false}");
        assertThat(mismatches(g, index, bytes, 7, 40, 4)).isEmpty();
    }
}
