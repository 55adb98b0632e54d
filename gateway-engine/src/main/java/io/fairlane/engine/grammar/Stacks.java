package io.fairlane.engine.grammar;

import java.util.Arrays;
import java.util.List;

/**
 * Moves stacks of grammar states by one byte. A stack is an int array, bottom first; the top is the state of the
 * innermost rule, every other entry the state its rule returns to. Arrays are never changed once built, so a
 * stack can be shared between configurations and kept as a trial's starting point.
 *
 * <p>Stateless.
 */
final class Stacks {

    private Stacks() {
    }

    /**
     * Adds to {@code out} (without duplicates) every stack that {@code stack[0..len)} becomes by reading
     * {@code b}: by a byte edge of the top state, by entering a rule the top state calls, or by returning from
     * an accepting top to the state below. Returns whether the bottom state, accepting, could have returned
     * further down than this stack holds: the byte then depends on what lies below.
     */
    static boolean step(Grammar g, int[] stack, int len, int b, List<int[]> out) {
        int s = stack[len - 1];
        boolean below = false;
        int t = g.next(s, b);
        if (t >= 0) {
            int[] n = Arrays.copyOf(stack, len);
            n[len - 1] = t;
            add(out, normalise(g, n));
        }
        for (int i = g.callStart[s], end = g.callStart[s + 1]; i < end; i++) {
            int[] n = Arrays.copyOf(stack, len + 1);
            n[len - 1] = g.callTarget[i];
            n[len] = g.ruleStart[g.callRule[i]];
            below |= step(g, n, len + 1, b, out);
        }
        if (g.accepting[s]) {
            if (len == 1) {
                below = true;
            } else {
                below |= step(g, stack, len - 1, b, out);
            }
        }
        return below;
    }

    /** Steps every stack of {@code from}; see {@link #step}. */
    static boolean stepAll(Grammar g, List<int[]> from, int b, List<int[]> out) {
        boolean below = false;
        for (int[] s : from) {
            below |= step(g, s, s.length, b, out);
        }
        return below;
    }

    /** Enters at once the rule of a top state whose only move is one call (see {@link Grammar#pushTarget}). */
    static int[] normalise(Grammar g, int[] stack) {
        int top = stack[stack.length - 1];
        while (g.pushTarget[top] >= 0) {
            int rule = g.callRule[g.callStart[top]];
            stack = Arrays.copyOf(stack, stack.length + 1);
            stack[stack.length - 2] = g.pushTarget[top];
            top = g.ruleStart[rule];
            stack[stack.length - 1] = top;
        }
        return stack;
    }

    private static void add(List<int[]> out, int[] stack) {
        for (int[] s : out) {
            if (Arrays.equals(s, stack)) {
                return;
            }
        }
        out.add(stack);
    }

    /** Whether the stack can end here: its top and every return state below are accepting. */
    static boolean complete(Grammar g, int[] stack) {
        for (int s : stack) {
            if (!g.accepting[s]) {
                return false;
            }
        }
        return true;
    }
}
