package io.fairlane.engine.runtime;

import java.util.List;

/**
 * Finds stop strings in one choice's streamed text, across token boundaries, and holds back text that could
 * still turn out to begin a stop string, so that no part of a stop string ever reaches the client.
 *
 * <p>Confined to the engine loop thread.
 */
final class StopStringFilter {

    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    StopStringFilter(List<String> stops) {
        this.stops = List.copyOf(stops);
    }

    /** What {@link #accept} releases. */
    record Release(String text, boolean stopped) {
    }

    /** Adds decoded text; returns what may be sent now and whether a stop string was found. */
    Release accept(String text) {
        if (stopped) {
            throw new IllegalStateException("text after a stop string");
        }
        if (stops.isEmpty()) {
            return new Release(text, false);
        }
        held.append(text);
        int earliest = -1;
        for (String stop : stops) {
            int at = held.indexOf(stop);
            if (at >= 0 && (earliest < 0 || at < earliest)) {
                earliest = at;
            }
        }
        if (earliest >= 0) {
            String before = held.substring(0, earliest);
            held.setLength(0);
            stopped = true;
            return new Release(before, true);
        }
        int keep = 0;
        for (String stop : stops) {
            for (int k = Math.min(stop.length() - 1, held.length()); k > keep; k--) {
                if (endsWith(held, stop, k)) {
                    keep = k;
                    break;
                }
            }
        }
        String released = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return new Release(released, false);
    }

    /** Text held back when the choice ends for another reason. */
    String flush() {
        String rest = held.toString();
        held.setLength(0);
        return rest;
    }

    /** Whether {@code text} ends with the first {@code k} characters of {@code stop}. */
    private static boolean endsWith(CharSequence text, String stop, int k) {
        int offset = text.length() - k;
        for (int i = 0; i < k; i++) {
            if (text.charAt(offset + i) != stop.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "StopStringFilter[stops=" + stops.size() + ", held=" + held.length() + " chars]";
    }
}
