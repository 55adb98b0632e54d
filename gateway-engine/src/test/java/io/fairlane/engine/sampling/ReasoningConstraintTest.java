package io.fairlane.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.engine.OutputConstraint;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.ThinkingMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * A constraint on a thinking model's output applies to the answer only: inside {@code <think>…</think>} anything
 * but EOS goes, then whitespace, then the constrained answer; and the tokens say which were reasoning.
 */
class ReasoningConstraintTest {

    /** Single bytes, the tags as tokens of their own, a few pieces, and EOS last. */
    private static final List<String> PIECES = List.of("<think>", "</think>", "<think>\n", "</think>\n\n", "\n\n",
            "</think>{\"", "{\"", "\"a\"", "a\":", " 1}", "Hmm, ", "</", "think>");

    private static ConstraintVocabulary vocabulary() {
        List<byte[]> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(new byte[] {(byte) b});
        }
        for (String s : PIECES) {
            tokens.add(s.getBytes(StandardCharsets.UTF_8));
        }
        int eos = tokens.size();
        tokens.add(new byte[0]);
        return ConstraintVocabulary.of(tokens.size(), tokens::get, id -> false, List.of(eos));
    }

    private static final ConstraintVocabulary V = vocabulary();
    private static final int EOS = V.size() - 1;

    private static int id(String piece) {
        return piece.length() == 1 ? piece.charAt(0) : 256 + PIECES.indexOf(piece);
    }

    private static SamplingState state(OutputConstraint c, ThinkingMode mode) {
        SamplingParams p = new SamplingParams(0, 1, 0, 0, OptionalLong.of(1), 0, 0, Map.of(), false, 0, 100,
                List.of(), false, c);
        return SamplingState.of(p, 1, 0, V, mode);
    }

    private static final OutputConstraint SCHEMA = new OutputConstraint.JsonSchema("t",
            "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},\"required\":[\"a\"],"
                    + "\"additionalProperties\":false}", true);

    @Test
    void inside_anyTextAllowedButNotEos() {
        SamplingState s = state(SCHEMA, ThinkingMode.INSIDE);
        assertThat(new boolean[] {s.constraint().allows(id("Hmm, ")), s.constraint().allows('x'),
            s.constraint().allows(EOS)}).containsExactly(true, true, false);
    }

    @Test
    void inside_closingTagThenWhitespaceThenAnswer_constrainedFromTheAnswer() {
        SamplingState s = state(SCHEMA, ThinkingMode.INSIDE);
        for (String t : List.of("Hmm, ", "</think>\n\n")) {
            s.accept(id(t));
        }
        assertThat(new boolean[] {s.constraint().allows(id("Hmm, ")), s.constraint().allows(id("{\"")),
            s.constraint().allows(id("\n\n"))}).containsExactly(false, true, true);
    }

    @Test
    void inside_closingTagSpelledInPieces_recognised() {
        SamplingState s = state(SCHEMA, ThinkingMode.INSIDE);
        s.accept(id("</"));
        s.accept(id("think>"));
        assertThat(s.constraint().allows('x')).isFalse();
    }

    @Test
    void inside_tokenRunningFromTheTagIntoTheAnswer_answerPartConstrained() {
        SamplingState s = state(SCHEMA, ThinkingMode.INSIDE);
        assertThat(s.constraint().allows(id("</think>{\""))).isTrue();
    }

    @Test
    void mask_insideTheBlock_onlyEosAndBadTagTokensMasked() {
        SamplingState s = state(SCHEMA, ThinkingMode.INSIDE);
        float[] logits = new float[V.size()];
        s.constraint().mask(logits);
        assertThat(new float[] {logits[id("Hmm, ")], logits[EOS]}).containsExactly(0f, Float.NEGATIVE_INFINITY);
    }

    @Test
    void wholeAnswer_completesAndReasoningFlagsMarkTheBlock() {
        SamplingState s = state(SCHEMA, ThinkingMode.OPTIONAL);
        List<Boolean> reasoning = new ArrayList<>();
        for (String t : List.of("<think>\n", "Hmm, ", "</think>\n\n", "{\"", "a\":", " 1}")) {
            assertThat(s.constraint().allows(id(t))).as(t).isTrue();
            s.accept(id(t));
            reasoning.add(s.lastTokenReasoning());
        }
        assertThat(reasoning).containsExactly(true, true, true, false, false, false);
        assertThat(s.constraint().allows(EOS)).isTrue();
    }

    @Test
    void optional_modelAnswersWithoutThinking_constrainedFromTheFirstToken() {
        SamplingState s = state(SCHEMA, ThinkingMode.OPTIONAL);
        assertThat(new boolean[] {s.constraint().allows(id("{\"")), s.constraint().allows(id("Hmm, ")),
            s.constraint().allows(id("<think>"))}).containsExactly(true, false, true);
    }

    @Test
    void none_thinkTagIsJustText_refusedByTheConstraint() {
        SamplingState s = state(SCHEMA, ThinkingMode.NONE);
        assertThat(s.constraint().allows(id("<think>"))).isFalse();
    }

    @Test
    void unconstrained_reasoningFlagsStillTracked() {
        SamplingState s = state(null, ThinkingMode.INSIDE);
        List<Boolean> reasoning = new ArrayList<>();
        for (String t : List.of("Hmm, ", "</think>\n\n", "x")) {
            s.accept(id(t));
            reasoning.add(s.lastTokenReasoning());
        }
        assertThat(reasoning).containsExactly(true, true, false);
    }

    @Test
    void legacyJsonObject_afterTheBlock_stillEnforced() {
        SamplingState s = state(OutputConstraint.jsonObject(), ThinkingMode.INSIDE);
        s.accept(id("</think>\n\n"));
        assertThat(new boolean[] {s.constraint().allows('['), s.constraint().allows('{')})
                .containsExactly(false, true);
    }

    @Test
    void separator_boundedWhitespace() {
        SamplingState s = state(SCHEMA, ThinkingMode.INSIDE);
        s.accept(id("</think>"));
        for (int i = 0; i < ReasoningTracker.MAX_SEPARATOR_WHITESPACE; i++) {
            s.accept(' ');
        }
        assertThat(new boolean[] {s.constraint().allows(' '), s.constraint().allows('{')}).containsExactly(false, true);
    }

    @Test
    void detect_fromRenderedPrompts() {
        assertThat(List.of(ThinkingMode.detect("<|im_start|>assistant\n", true),
                ThinkingMode.detect("<|im_start|>assistant\n<think>\n\n</think>\n\n", true),
                ThinkingMode.detect("<｜Assistant｜><think>\n", true),
                ThinkingMode.detect("<|im_start|>assistant\n", false)))
                .containsExactly(ThinkingMode.OPTIONAL, ThinkingMode.NONE, ThinkingMode.INSIDE, ThinkingMode.NONE);
    }
}
