package io.fairlane.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.engine.OutputConstraint;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.tokenizer.BuiltinTokenizer;
import io.fairlane.engine.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenConstraintTest {

    private static final Tokenizer BUILTIN = BuiltinTokenizer.tokenizer();
    private static final int BUILTIN_EOS = BUILTIN.tokenId(BuiltinTokenizer.END_OF_TEXT).orElseThrow();

    /** The builtin tokenizer's vocabulary (byte-level BPE learnt on English text), plus 4 padding ids. */
    static ConstraintVocabulary builtin() {
        return ConstraintVocabulary.of(BUILTIN.vocabSize() + 4, BUILTIN::tokenBytes, BUILTIN::isSpecial,
                List.of(BUILTIN_EOS));
    }

    /**
     * A byte-level vocabulary: the 256 single bytes, multi-byte pieces JSON models like (some of them spanning
     * several grammar tokens, some splitting a UTF-8 character), and EOS as the last id.
     */
    static ConstraintVocabulary byteLevel() {
        List<byte[]> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(new byte[] {(byte) b});
        }
        for (String s : List.of("{\"", "\":", "\": ", "\", \"", "\"}", "}}", "]}", "true", "false", "null", "  ",
                "\n  ", "\n    ", "    ", "name", "city", "\\u00", "\\n", "12", "0.", "e-", "[{", "}]", "\"]",
                "Oslo", "é", "🌊", "\": {\"", ", ", "},", "\"\"")) {
            tokens.add(s.getBytes(StandardCharsets.UTF_8));
        }
        tokens.add(new byte[] {(byte) 0xE6});        // the first byte of 海
        tokens.add(new byte[] {(byte) 0xB5, (byte) 0xB7}); // its last two
        int eos = tokens.size();
        tokens.add(new byte[0]);
        return ConstraintVocabulary.of(tokens.size(), tokens::get, id -> false, List.of(eos));
    }

    private static SamplingParams params(double temperature, double topP, int topK, OutputConstraint c) {
        return new SamplingParams(temperature, topP, topK, 0, OptionalLong.of(3), 0, 0, Map.of(), false, 0, 4000,
                List.of(), false, c);
    }

    /** Random logits, some steps with a strong preference for one random token, as a model would have. */
    private static float[] randomLogits(SplittableRandom random, int vocab) {
        float[] x = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            x[i] = (float) (random.nextGaussian() * 2);
        }
        if (random.nextBoolean()) {
            x[random.nextInt(vocab)] += 12;
        }
        return x;
    }

    /** What a run produced: its bytes, and whether the constraint let it end with EOS. */
    private record Run(byte[] bytes, boolean ended) {
    }

    /** Generates until EOS or {@code limit} tokens, checking that every token drawn was allowed. */
    private static Run generate(ConstraintVocabulary v, SamplingParams p, long seed, int limit) {
        SplittableRandom random = new SplittableRandom(seed);
        SamplingState state = SamplingState.of(p, seed, 0, v);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int step = 0; step < limit; step++) {
            int token = Sampler.sample(randomLogits(random, v.size()), state).tokenId();
            assertThat(state.constraint().allows(token)).as("token %d at step %d allowed", token, step).isTrue();
            if (v.isEos(token)) {
                return new Run(out.toByteArray(), true);
            }
            out.writeBytes(v.bytes(token));
            state.accept(token);
        }
        return new Run(out.toByteArray(), false);
    }

    /**
     * A random model seldom closes everything it opened within a few hundred tokens, so a run cut short is
     * completed byte by byte ({@link ByteAutomatonTest#complete}): a witness that its prefix was valid. Every
     * run then must be strict JSON; returns how many ended on their own.
     */
    private static int validRuns(ConstraintVocabulary v, SamplingParams p, int runs) throws Exception {
        ByteAutomaton.Program program = ByteAutomaton.Program.of(p.constraint());
        int ended = 0;
        for (int seed = 0; seed < runs; seed++) {
            Run run = generate(v, p, seed, 300);
            byte[] text = run.bytes();
            if (run.ended()) {
                ended++;
            } else {
                ByteAutomaton a = new ByteAutomaton(program);
                for (byte b : text) {
                    assertThat(a.accept(b & 0xFF)).isTrue();
                }
                byte[] rest = ByteAutomatonTest.complete(a, program);
                text = java.util.Arrays.copyOf(text, text.length + rest.length);
                System.arraycopy(rest, 0, text, run.bytes().length, rest.length);
            }
            JsonNode node = ByteAutomatonTest.parseStrict(text);
            assertThat(node.isObject()).isTrue();
            if (p.constraint() instanceof OutputConstraint.ToolCall call) {
                assertThat(call.names()).contains(node.path("name").asText());
                assertThat(node.path("arguments").isObject()).isTrue();
                assertThat(new String(text, StandardCharsets.UTF_8)).startsWith(OutputConstraint.ToolCall.NAME_PREFIX
                        + node.path("name").asText() + OutputConstraint.ToolCall.ARGUMENTS_PREFIX);
            }
        }
        return ended;
    }

    @ParameterizedTest
    @ValueSource(doubles = {0, 0.7, 1.5})
    void sample_randomLogitsOverBuiltinTokenizer_alwaysValidJsonObject(double temperature) throws Exception {
        assertThat(validRuns(builtin(), params(temperature, 1, 0, OutputConstraint.jsonObject()), 12))
                .isGreaterThan(0);
    }

    @ParameterizedTest
    @ValueSource(doubles = {0, 0.7, 1.5})
    void sample_randomLogitsOverByteVocabulary_alwaysValidJsonObject(double temperature) throws Exception {
        assertThat(validRuns(byteLevel(), params(temperature, 0.95, 50, OutputConstraint.jsonObject()), 40))
                .isGreaterThan(0);
    }

    @Test
    void sample_toolCallConstraint_namesOneFunctionWithObjectArgumentsEveryRun() throws Exception {
        SamplingParams p = params(1, 1, 0, OutputConstraint.toolCall(List.of("get_weather", "get_time", "search")));
        validRuns(builtin(), p, 6);
    }

    @Test
    void bestAllowed_anyLogits_equalsArgmaxOfTheMaskedRow() {
        ConstraintVocabulary v = builtin();
        SplittableRandom random = new SplittableRandom(11);
        TokenConstraint c = new TokenConstraint(OutputConstraint.jsonObject(), v);
        for (int step = 0; step < 200 && !c.complete(); step++) {
            float[] x = randomLogits(random, v.size());
            float[] masked = x.clone();
            c.mask(masked);
            int best = c.bestAllowed(x);
            assertThat(best).isEqualTo(Sampler.argmax(masked));
            c.advance(best);
        }
    }

    @Test
    void allows_completeObject_onlyEos() {
        ConstraintVocabulary v = byteLevel();
        TokenConstraint c = new TokenConstraint(OutputConstraint.jsonObject(), v);
        c.advance('{');
        c.advance('}');
        float[] x = new float[v.size()];
        assertThat(c.mask(x)).isEqualTo(1);
        assertThat(v.isEos(Sampler.argmax(x))).isTrue();
    }

    @Test
    void allows_specialAndPaddingTokens_never() {
        ConstraintVocabulary v = builtin();
        TokenConstraint c = new TokenConstraint(OutputConstraint.jsonObject(), v);
        int imStart = BUILTIN.tokenId(BuiltinTokenizer.IM_START).orElseThrow();
        assertThat(List.of(c.allows(imStart), c.allows(BUILTIN_EOS), c.allows(v.size() - 1)))
                .containsOnly(false);
    }

    @Test
    void sample_unconstrained_sameTokensAsBefore() {
        SamplingParams free = params(0.8, 0.9, 0, null);
        SplittableRandom random = new SplittableRandom(5);
        SamplingState a = SamplingState.of(free, 5, 0);
        SamplingState b = SamplingState.of(free, 5, 0, builtin());
        for (int i = 0; i < 50; i++) {
            float[] x = randomLogits(random, 300);
            int ta = Sampler.sample(x.clone(), a).tokenId();
            assertThat(Sampler.sample(x.clone(), b).tokenId()).isEqualTo(ta);
            a.accept(ta);
            b.accept(ta);
        }
    }

    @Test
    void sample_constrainedWithLogprobs_reportsTheUnmaskedDistribution() {
        ConstraintVocabulary v = byteLevel();
        SamplingParams p = new SamplingParams(0, 1, 0, 0, OptionalLong.empty(), 0, 0, Map.of(), true, 1, 10,
                List.of(), false, OutputConstraint.jsonObject());
        float[] x = new float[v.size()];
        x['a'] = 5; // the model prefers 'a', which cannot start an object
        SampleResult r = Sampler.sample(x, SamplingState.of(p, 1, 0, v));
        assertThat(List.of(r.tokenId(), r.topIds()[0])).containsExactly((int) '{', (int) 'a');
    }
}
