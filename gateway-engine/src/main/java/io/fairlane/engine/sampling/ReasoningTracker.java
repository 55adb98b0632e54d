package io.fairlane.engine.sampling;

import io.fairlane.engine.ThinkingMode;
import java.nio.charset.StandardCharsets;

/**
 * Follows one choice of a thinking model through its think block, byte by byte: whether the output is still in
 * the block, in the whitespace after {@code </think>}, or in the answer, and where in a token the answer starts.
 * The closing tag is found in the bytes, so it counts however the model spells it (one added token, as Qwen3 and
 * DeepSeek-R1 have, or several); the opening tag only as the output's first bytes ({@link ThinkingMode#OPTIONAL}).
 *
 * <p>An output constraint consults it to apply from the first answer byte on; the engine to flag reasoning tokens.
 *
 * <p>Mutable; confined to the engine loop thread (read by a backend worker while the loop waits).
 */
public final class ReasoningTracker {

    /** The most whitespace bytes a constrained answer may put between {@code </think>} and itself. */
    static final int MAX_SEPARATOR_WHITESPACE = 16;

    /** Returned by {@link #answerStart}: every byte of the token is reasoning. */
    static final int ALL_REASONING = -1;
    /** Returned by {@link #answerStart}: the token would put more whitespace after the block than allowed. */
    static final int TOO_MUCH_WHITESPACE = -2;

    private static final byte[] OPEN = ThinkingMode.OPEN_TAG.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLOSE = ThinkingMode.CLOSE_TAG.getBytes(StandardCharsets.US_ASCII);

    private static final int MAY_OPEN = 0;
    private static final int THINKING = 1;
    private static final int SEPARATOR = 2;
    private static final int ANSWER = 3;

    private int phase;
    private int matched;      // bytes of the closing tag matched so far (THINKING)
    private int whitespace;   // separator whitespace so far
    private boolean lastReasoning;

    private ReasoningTracker(int phase) {
        this.phase = phase;
    }

    /** A tracker for an output that starts as {@code mode} says; null for {@link ThinkingMode#NONE}. */
    public static ReasoningTracker start(ThinkingMode mode) {
        return switch (mode) {
            case NONE -> null;
            case OPTIONAL -> new ReasoningTracker(MAY_OPEN);
            case INSIDE -> new ReasoningTracker(THINKING);
        };
    }

    /** Whether the answer has begun (constraints apply). */
    public boolean answering() {
        return phase == ANSWER;
    }

    /** Whether the output is inside the think block (only EOS is masked). */
    boolean thinking() {
        return phase == THINKING;
    }

    /** Whether the output may still open a block with its next token (its first). */
    boolean mayOpen() {
        return phase == MAY_OPEN;
    }

    /** Whether the last token {@link #advance advanced} over was reasoning. */
    public boolean lastReasoning() {
        return lastReasoning;
    }

    /**
     * Where the answer would start in a token with these bytes: an offset into them, {@link #ALL_REASONING}, or
     * {@link #TOO_MUCH_WHITESPACE}. Changes nothing.
     */
    int answerStart(byte[] bytes) {
        return scan(bytes, false);
    }

    /** Moves past a token's bytes (empty for special tokens) and records whether it was reasoning. */
    public void advance(byte[] bytes) {
        int start = scan(bytes, true);
        lastReasoning = start == ALL_REASONING || start == TOO_MUCH_WHITESPACE;
    }

    private int scan(byte[] b, boolean apply) {
        int p = phase;
        int m = matched;
        int ws = whitespace;
        int result;
        int i = 0;
        if (p == MAY_OPEN) {
            if (b.length == 0) {
                return 0; // a special token decides nothing and is not reasoning
            }
            if (startsWith(b, OPEN)) {
                p = THINKING;
                i = OPEN.length;
            } else {
                p = ANSWER;
            }
        }
        if (p == ANSWER) {
            result = i;
        } else {
            result = b.length == 0 ? ALL_REASONING : -3;
            for (; i < b.length && result == -3; i++) {
                int x = b[i] & 0xFF;
                if (p == THINKING) {
                    if (x == CLOSE[m]) {
                        if (++m == CLOSE.length) {
                            p = SEPARATOR;
                            m = 0;
                        }
                    } else {
                        m = x == CLOSE[0] ? 1 : 0;
                    }
                } else if (x == ' ' || x == '\n' || x == '\r' || x == '\t') {
                    ws++;
                } else {
                    p = ANSWER;
                    result = i;
                }
            }
            if (result == -3) {
                result = p == SEPARATOR && ws > MAX_SEPARATOR_WHITESPACE ? TOO_MUCH_WHITESPACE : ALL_REASONING;
            }
        }
        if (apply) {
            phase = p;
            matched = m;
            whitespace = ws;
        }
        return result;
    }

    private static boolean startsWith(byte[] b, byte[] prefix) {
        if (b.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (b[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "ReasoningTracker[" + switch (phase) {
            case MAY_OPEN -> "may open";
            case THINKING -> "thinking";
            case SEPARATOR -> "after the block";
            default -> "answering";
        } + "]";
    }
}
