package io.fairlane.gateway.lane.local;

import io.fairlane.engine.ThinkingMode;

/**
 * Turns the text of the tokens the engine flags as reasoning ({@code TokenEvent.Token.reasoning()}) into what a
 * client reads as {@code reasoning_content}: the thinking itself, without the {@code <think>} and {@code </think>}
 * tags and without the whitespace the engine counts as reasoning after the closing tag. The engine hands the raw
 * text, tags included, so a tag may also arrive split over several tokens on a tokenizer that has no single token
 * for it; a tail that could still become a tag is held back until the next text says whether it does.
 *
 * <p>One per choice; confined to one thread.
 */
final class ThinkingText {

    private static final String OPEN = ThinkingMode.OPEN_TAG;
    private static final String CLOSE = ThinkingMode.CLOSE_TAG;

    private final StringBuilder pending = new StringBuilder();
    private boolean closed;

    /** Feeds the text of a reasoning token; returns the thinking it completes (may be empty). */
    String feed(String text) {
        if (closed) {
            return ""; // the whitespace after </think> that the engine still counts as reasoning
        }
        pending.append(text);
        StringBuilder out = new StringBuilder(pending.length());
        int i = 0;
        while (i < pending.length()) {
            if (pending.charAt(i) == '<') {
                if (startsWith(pending, i, CLOSE)) {
                    closed = true;
                    pending.setLength(0);
                    return out.toString();
                }
                if (startsWith(pending, i, OPEN)) {
                    i += OPEN.length();
                    continue;
                }
                if (couldBecomeTag(pending, i)) {
                    break;
                }
            }
            out.append(pending.charAt(i));
            i++;
        }
        pending.delete(0, i);
        return out.toString();
    }

    /** What is still held back at the end of the thinking (a tail that never became a tag). */
    String finish() {
        String rest = closed ? "" : pending.toString();
        pending.setLength(0);
        return rest;
    }

    private static boolean startsWith(CharSequence s, int at, String tag) {
        if (s.length() - at < tag.length()) {
            return false;
        }
        for (int k = 0; k < tag.length(); k++) {
            if (s.charAt(at + k) != tag.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the text from {@code at} to the end is a proper prefix of a tag. */
    private static boolean couldBecomeTag(CharSequence s, int at) {
        int rest = s.length() - at;
        return rest < CLOSE.length() && prefix(s, at, CLOSE) || rest < OPEN.length() && prefix(s, at, OPEN);
    }

    private static boolean prefix(CharSequence s, int at, String tag) {
        for (int k = 0; at + k < s.length(); k++) {
            if (s.charAt(at + k) != tag.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "ThinkingText[" + (closed ? "closed" : pending.length() + " chars held") + "]";
    }
}
