package io.fairlane.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Numeric bounds and multipleOf against BigDecimal arithmetic: for random bounds and steps, every number the
 * automaton accepts satisfies them, and every number in plain notation that satisfies them is accepted, unless
 * it has more fraction digits than the step (a subset the grammar keeps to by design).
 */
class NumberLanguageTest {

    private static final String[] BOUNDS = {"-10", "-2.5", "-0.75", "0", "0.125", "1", "3.5", "7", "42", "100.25"};
    private static final String[] STEPS = {null, "1", "3", "0.5", "0.25", "0.01", "2.5"};

    @Test
    void randomBoundsAndSteps_acceptedExactlyWhenArithmeticAgrees() {
        SplittableRandom r = new SplittableRandom(11);
        List<String> wrong = new ArrayList<>();
        for (int trial = 0; trial < 60; trial++) {
            boolean integer = r.nextInt(3) == 0;
            BigDecimal lo = r.nextBoolean() ? new BigDecimal(BOUNDS[r.nextInt(BOUNDS.length)]) : null;
            BigDecimal hi = r.nextBoolean() ? new BigDecimal(BOUNDS[r.nextInt(BOUNDS.length)]) : null;
            boolean loEx = r.nextBoolean();
            boolean hiEx = r.nextBoolean();
            String stepText = STEPS[r.nextInt(STEPS.length)];
            BigDecimal step = stepText == null ? null : new BigDecimal(stepText);
            CharNfa nfa;
            try {
                nfa = NumberLanguage.compile(integer, lo == null ? null : new NumberLanguage.Bound(lo, loEx),
                        hi == null ? null : new NumberLanguage.Bound(hi, hiEx), step, "", CompileBudget.standard());
            } catch (SchemaException e) {
                continue; // no number satisfies them: checked below by the absence of accepted values
            }
            for (int k = 0; k < 300; k++) {
                String text = randomNumber(r, integer);
                BigDecimal x = new BigDecimal(text);
                boolean expected = (lo == null || (loEx ? x.compareTo(lo) > 0 : x.compareTo(lo) >= 0))
                        && (hi == null || (hiEx ? x.compareTo(hi) < 0 : x.compareTo(hi) <= 0))
                        && (step == null || x.remainder(step).signum() == 0)
                        // Subsets by design: no more fraction digits than the step has, none for integers.
                        && (step == null || fractionDigits(text) <= Math.max(0, step.stripTrailingZeros().scale()))
                        && (!integer || !text.contains("."));
                if (nfa.matches(text) != expected) {
                    wrong.add((integer ? "integer" : "number") + " [" + lo + (loEx ? " excl" : "") + ", " + hi
                            + (hiEx ? " excl" : "") + "] step " + step + ": " + text + " expected " + expected);
                }
            }
        }
        assertThat(wrong).isEmpty();
    }

    private static int fractionDigits(String text) {
        int dot = text.indexOf('.');
        return dot < 0 ? 0 : text.length() - dot - 1;
    }

    private static String randomNumber(SplittableRandom r, boolean integer) {
        StringBuilder sb = new StringBuilder();
        if (r.nextInt(3) == 0) {
            sb.append('-');
        }
        sb.append(r.nextInt(4) == 0 ? r.nextInt(200) : r.nextInt(12));
        if (!integer && r.nextBoolean()) {
            sb.append('.');
            int digits = 1 + r.nextInt(3);
            for (int i = 0; i < digits; i++) {
                sb.append(r.nextInt(4) == 0 ? '0' : (char) ('0' + r.nextInt(10)));
            }
        }
        String s = sb.toString();
        // Negative zero ("-0", "-0.00") is never written by design.
        return s.startsWith("-") && new BigDecimal(s).signum() == 0 ? s.substring(1) : s;
    }
}
