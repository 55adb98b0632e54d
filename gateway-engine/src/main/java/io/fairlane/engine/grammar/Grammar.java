package io.fairlane.engine.grammar;

import java.util.Arrays;

/**
 * A compiled grammar: a set of rules, each a deterministic automaton over bytes whose edges are byte ranges or
 * calls to another rule (a recursive transition network). Rule 0 is the start. A matcher keeps a stack of
 * states: a call pushes the callee's start state and remembers where to return, an accepting state may return
 * to its caller. Several stacks are live only where two rules may both read the next byte (an {@code anyOf} of
 * two strings with different patterns, say); determinising each rule with calls as symbols keeps that rare.
 *
 * <p>States are numbered globally; each rule owns a contiguous range. A state whose only move is a single call
 * is entered by pushing at once ({@link #pushTarget}), so that matchers mostly sit in the shared states of
 * string and number rules, whose token masks are computed once per vocabulary (see {@link TokenMasks}).
 *
 * <p>Every state can reach acceptance (dead states are removed at compile time), and no rule can call itself
 * before reading a byte, so stepping terminates and a matcher never walks into a dead end.
 *
 * <p>Immutable and thread-safe.
 */
public final class Grammar {

    final int[] ruleStart;      // per rule: its start state
    final int[] ruleEnd;        // per rule: one past its last state
    final String[] ruleKey;     // per rule: a key naming its automaton for cross-grammar mask sharing, or null
    /**
     * Per rule: for a string with length bounds only, the rule of the same string without bounds (whose states
     * it pairs with, see {@link TokenMasks}), else -1; and the bounds.
     */
    final int[] countedBase;
    final int[] countedMin;
    final int[] countedMax;
    final int[] ruleOf;         // per state
    final int[] rangeStart;     // per state + 1: index into lo/hi/target
    final byte[] lo;
    final byte[] hi;
    final int[] target;
    final int[] callStart;      // per state + 1: index into callRule/callTarget
    final int[] callRule;
    final int[] callTarget;
    final boolean[] accepting;
    /** Per state: the state pushed on entering it when its only move is one call, else -1. */
    final int[] pushTarget;
    /** Per state with more than a few ranges: a 256-entry table of targets (-1 none), else null. */
    final int[][] dense;
    private final String description;

    Grammar(int[] ruleStart, int[] ruleEnd, String[] ruleKey, int[][] counted, int[] ruleOf, int[] rangeStart,
            byte[] lo, byte[] hi, int[] target, int[] callStart, int[] callRule, int[] callTarget, boolean[] accepting,
            String description) {
        this.ruleStart = ruleStart;
        this.ruleEnd = ruleEnd;
        this.ruleKey = ruleKey;
        this.countedBase = counted[0];
        this.countedMin = counted[1];
        this.countedMax = counted[2];
        this.ruleOf = ruleOf;
        this.rangeStart = rangeStart;
        this.lo = lo;
        this.hi = hi;
        this.target = target;
        this.callStart = callStart;
        this.callRule = callRule;
        this.callTarget = callTarget;
        this.accepting = accepting;
        this.description = description;
        int n = accepting.length;
        this.pushTarget = new int[n];
        this.dense = new int[n][];
        for (int s = 0; s < n; s++) {
            pushTarget[s] = -1;
            if (rangeStart[s + 1] == rangeStart[s] && !accepting[s] && callStart[s + 1] - callStart[s] == 1) {
                pushTarget[s] = callTarget[callStart[s]];
            }
            if (rangeStart[s + 1] - rangeStart[s] > 4) {
                int[] d = new int[256];
                Arrays.fill(d, -1);
                for (int i = rangeStart[s]; i < rangeStart[s + 1]; i++) {
                    for (int b = lo[i] & 0xFF; b <= (hi[i] & 0xFF); b++) {
                        d[b] = target[i];
                    }
                }
                dense[s] = d;
            }
        }
    }

    /** Number of states over all rules. */
    public int states() {
        return accepting.length;
    }

    /** Number of rules. */
    public int rules() {
        return ruleStart.length;
    }

    /** The state reached from {@code s} by byte {@code b}, or -1. */
    int next(int s, int b) {
        int[] d = dense[s];
        if (d != null) {
            return d[b];
        }
        for (int i = rangeStart[s], end = rangeStart[s + 1]; i < end; i++) {
            if (b < (lo[i] & 0xFF)) {
                return -1;
            }
            if (b <= (hi[i] & 0xFF)) {
                return target[i];
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        return "Grammar[" + description + ", " + rules() + " rules, " + states() + " states]";
    }
}
