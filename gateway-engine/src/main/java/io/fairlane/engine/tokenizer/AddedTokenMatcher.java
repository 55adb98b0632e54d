package io.fairlane.engine.tokenizer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens in text, leftmost first and longest among those starting at the same place (the
 * Aho-Corasick "leftmost-longest" order the reference library uses), by walking a character trie from each
 * position whose character can start a token. Most positions are rejected by one array lookup.
 * Immutable after construction; safe to share between threads.
 */
final class AddedTokenMatcher {

    /** Receives the input cut into pieces: plain text and matched tokens, in order. */
    interface Sink {
        void text(String piece, boolean atStart);

        void token(AddedToken token);
    }

    private static final class Node {
        final Map<Character, Node> children = new HashMap<>(4);
        AddedToken token;
    }

    private final Node root = new Node();
    private final boolean[] startsBmp = new boolean[0x10000];
    private final boolean empty;

    /** @param patterns each token with the text to look for (its content, normalized where it asks) */
    AddedTokenMatcher(List<Map.Entry<String, AddedToken>> patterns) {
        boolean any = false;
        for (Map.Entry<String, AddedToken> p : patterns) {
            String text = p.getKey();
            if (text.isEmpty()) {
                continue;
            }
            Node node = root;
            for (int i = 0; i < text.length(); i++) {
                node = node.children.computeIfAbsent(text.charAt(i), c -> new Node());
            }
            if (node.token == null) {
                node.token = p.getValue();
            }
            startsBmp[text.charAt(0)] = true;
            any = true;
        }
        empty = !any;
    }

    boolean isEmpty() {
        return empty;
    }

    void split(String text, Sink sink) {
        if (empty) {
            sink.text(text, true);
            return;
        }
        int n = text.length();
        int emitted = 0;  // end of what has been handed to the sink
        int i = 0;
        while (i < n) {
            if (!startsBmp[text.charAt(i)]) {
                i++;
                continue;
            }
            Node node = root;
            AddedToken best = null;
            int bestEnd = -1;
            for (int j = i; j < n; j++) {
                node = node.children.get(text.charAt(j));
                if (node == null) {
                    break;
                }
                if (node.token != null) {
                    best = node.token;
                    bestEnd = j + 1;
                }
            }
            if (best == null) {
                i++;
                continue;
            }
            int start = i;
            int stop = bestEnd;
            if (best.singleWord()) {
                boolean wordBefore = start > 0 && isWordChar(text.codePointBefore(start));
                boolean wordAfter = stop < n && isWordChar(text.codePointAt(stop));
                if (wordBefore || wordAfter) {
                    i = bestEnd;  // the reference's automaton resumes after a discarded match, not inside it
                    continue;
                }
            }
            if (best.lstrip()) {
                int s = start;
                while (s > emitted && Normalizer.isWhitespace(text.codePointBefore(s))) {
                    s -= Character.charCount(text.codePointBefore(s));
                }
                start = s;
            }
            if (best.rstrip()) {
                while (stop < n && Normalizer.isWhitespace(text.codePointAt(stop))) {
                    stop += Character.charCount(text.codePointAt(stop));
                }
            }
            if (start > emitted) {
                sink.text(text.substring(emitted, start), emitted == 0);
            }
            sink.token(best);
            emitted = stop;
            i = stop;
        }
        if (emitted < n) {
            sink.text(emitted == 0 ? text : text.substring(emitted), emitted == 0);
        }
    }

    private static boolean isWordChar(int cp) {
        return Character.isLetterOrDigit(cp) || cp == '_';
    }
}
