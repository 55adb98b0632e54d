package io.fairlane.engine.sampling;

import java.util.List;
import java.util.Objects;

/**
 * Finds stop strings in a choice's text as it streams in token-sized pieces, which may split a stop string
 * anywhere. Text that could still turn out to be the start of a stop string is held back; text before a stop
 * string is released; nothing at or after a stop string is ever released.
 *
 * <p>Mutable; confined to the thread that feeds it (the engine loop).
 */
public final class StopMatcher {

    private final List<String> stops;
    private final int longest;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;
    private String matched;

    public StopMatcher(List<String> stops) {
        this.stops = List.copyOf(Objects.requireNonNull(stops, "stops")).stream().filter(s -> !s.isEmpty())
                .toList();
        this.longest = this.stops.stream().mapToInt(String::length).max().orElse(0);
    }

    /**
     * Feeds the next piece of text and returns what can be released now: everything up to the earliest stop
     * string (then {@link #stopped()} is true), or everything but a tail that is a proper prefix of some stop
     * string. After a stop, returns "" for any further text.
     */
    public String accept(String delta) {
        Objects.requireNonNull(delta, "delta");
        if (stopped) {
            return "";
        }
        if (stops.isEmpty()) {
            return delta;
        }
        held.append(delta);
        int at = -1;
        for (String s : stops) {
            int i = held.indexOf(s);
            if (i >= 0 && (at < 0 || i < at)) {
                at = i;
                matched = s;
            }
        }
        if (at >= 0) {
            stopped = true;
            String out = held.substring(0, at);
            held.setLength(0);
            return out;
        }
        int keep = partialMatchLength();
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** Length of the longest suffix of the held text that is a proper prefix of a stop string. */
    private int partialMatchLength() {
        int max = Math.min(held.length(), longest - 1);
        for (int len = max; len > 0; len--) {
            int start = held.length() - len;
            for (String s : stops) {
                if (s.length() > len && regionMatches(start, s, len)) {
                    return len;
                }
            }
        }
        return 0;
    }

    private boolean regionMatches(int start, String s, int len) {
        for (int i = 0; i < len; i++) {
            if (held.charAt(start + i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Releases the held-back text when the choice ends for another reason (EOS, length): it was not a stop
     * string after all. Returns "" after a stop.
     */
    public String flush() {
        String out = held.toString();
        held.setLength(0);
        return stopped ? "" : out;
    }

    /** Whether a stop string was found. */
    public boolean stopped() {
        return stopped;
    }

    /** The stop string found, or null. */
    public String matched() {
        return matched;
    }

    /** Characters held back now. */
    public int heldLength() {
        return held.length();
    }

    @Override
    public String toString() {
        return "StopMatcher[" + stops.size() + " stops, held=" + held.length() + ", stopped=" + stopped + "]";
    }
}
