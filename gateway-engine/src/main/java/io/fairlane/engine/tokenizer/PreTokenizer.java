package io.fairlane.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code pre_tokenizer} section of a {@code tokenizer.json}: cuts normalized text into the words that BPE
 * then encodes one by one (and that the word cache remembers). Each step rewrites a list of pieces in place.
 */
sealed interface PreTokenizer {

    void apply(Pieces pieces);

    /** How a split treats the matched delimiters (the library's {@code SplitDelimiterBehavior}). */
    enum Behavior {
        REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS;

        static Behavior fromJson(String name) {
            return switch (name) {
                case "Removed" -> REMOVED;
                case "Isolated" -> ISOLATED;
                case "MergedWithPrevious" -> MERGED_WITH_PREVIOUS;
                case "MergedWithNext" -> MERGED_WITH_NEXT;
                case "Contiguous" -> CONTIGUOUS;
                default -> throw new IllegalArgumentException("unknown split behavior '" + name + "'");
            };
        }
    }

    /**
     * The working list of pieces. {@code firstAtOrigin} says whether the first piece starts at the very
     * beginning of the input, which Metaspace's {@code prepend_scheme: first} depends on.
     */
    final class Pieces {
        List<String> items;
        boolean firstAtOrigin;

        Pieces(String text, boolean atOrigin) {
            items = new ArrayList<>(4);
            items.add(text);
            firstAtOrigin = atOrigin;
        }

        /** Replaces every piece by what {@code splitter} makes of it, dropping empty results. */
        void splitEach(Splitter splitter) {
            List<String> out = new ArrayList<>(items.size() * 2);
            for (int i = 0; i < items.size(); i++) {
                String piece = items.get(i);
                int before = out.size();
                splitter.split(piece, i == 0 && firstAtOrigin, out);
                if (i == 0 && firstAtOrigin && out.size() == before) {
                    firstAtOrigin = false;
                }
            }
            out.removeIf(String::isEmpty);
            items = out;
        }
    }

    @FunctionalInterface
    interface Splitter {
        void split(String piece, boolean atOrigin, List<String> out);
    }

    /** Splits on a literal or a regular expression (Llama 3 and Qwen split with a GPT-4-style regex). */
    record Split(Pattern pattern, Behavior behavior, boolean invert) implements PreTokenizer {
        public Split {
            Objects.requireNonNull(pattern, "pattern");
            Objects.requireNonNull(behavior, "behavior");
        }

        @Override
        public void apply(Pieces pieces) {
            pieces.splitEach((piece, atOrigin, out) -> splitOne(piece, out));
        }

        void splitOne(String piece, List<String> out) {
            if (behavior == Behavior.ISOLATED && !invert) {  // the common case, without intermediate spans
                Matcher m = pattern.matcher(piece);
                int last = 0;
                while (m.find()) {
                    if (m.end() == m.start()) {
                        continue;
                    }
                    if (m.start() > last) {
                        out.add(piece.substring(last, m.start()));
                    }
                    out.add(piece.substring(m.start(), m.end()));
                    last = m.end();
                }
                if (last < piece.length()) {
                    out.add(last == 0 ? piece : piece.substring(last));
                }
                return;
            }
            // spans as (start, end, isMatch) triples covering the piece
            List<int[]> spans = new ArrayList<>();
            Matcher m = pattern.matcher(piece);
            int last = 0;
            while (m.find()) {
                if (m.end() == m.start()) {
                    continue;
                }
                if (m.start() > last) {
                    spans.add(new int[] {last, m.start(), invert ? 1 : 0});
                }
                spans.add(new int[] {m.start(), m.end(), invert ? 0 : 1});
                last = m.end();
            }
            if (last < piece.length()) {
                spans.add(new int[] {last, piece.length(), invert ? 1 : 0});
            }
            List<int[]> merged = mergeSpans(spans, behavior);
            for (int[] span : merged) {
                if (span[2] == 1 && behavior == Behavior.REMOVED) {
                    continue;
                }
                out.add(piece.substring(span[0], span[1]));
            }
        }

        private static List<int[]> mergeSpans(List<int[]> spans, Behavior behavior) {
            List<int[]> acc = new ArrayList<>(spans.size());
            boolean previousMatch = false;
            switch (behavior) {
                case REMOVED, ISOLATED -> acc.addAll(spans);
                case MERGED_WITH_PREVIOUS -> {
                    for (int[] s : spans) {
                        boolean isMatch = s[2] == 1;
                        if (isMatch && !previousMatch && !acc.isEmpty()) {
                            acc.getLast()[1] = s[1];
                        } else {
                            acc.add(new int[] {s[0], s[1], 0});
                        }
                        previousMatch = isMatch;
                    }
                }
                case MERGED_WITH_NEXT -> {
                    for (int i = spans.size() - 1; i >= 0; i--) {
                        int[] s = spans.get(i);
                        boolean isMatch = s[2] == 1;
                        if (isMatch && !previousMatch && !acc.isEmpty()) {
                            acc.getLast()[0] = s[0];
                        } else {
                            acc.add(new int[] {s[0], s[1], 0});
                        }
                        previousMatch = isMatch;
                    }
                    java.util.Collections.reverse(acc);
                }
                case CONTIGUOUS -> {
                    for (int[] s : spans) {
                        boolean isMatch = s[2] == 1;
                        if (isMatch == previousMatch && !acc.isEmpty()) {
                            acc.getLast()[1] = s[1];
                        } else {
                            acc.add(new int[] {s[0], s[1], 0});
                        }
                        previousMatch = isMatch;
                    }
                }
            }
            return acc;
        }
    }

    /**
     * Byte-level step: optionally a leading space and GPT-2's split, then every piece rewritten in the
     * byte-level alphabet (see {@link ByteLevelAlphabet}).
     */
    record ByteLevel(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {

        /** GPT-2's word split, used when {@code use_regex} is true. */
        static final Pattern GPT2_SPLIT = Pattern.compile(
                "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
                Pattern.UNICODE_CHARACTER_CLASS);

        @Override
        public void apply(Pieces pieces) {
            Split split = useRegex ? new Split(GPT2_SPLIT, Behavior.ISOLATED, false) : null;
            pieces.splitEach((piece, atOrigin, out) -> {
                String p = addPrefixSpace && !piece.startsWith(" ") ? " " + piece : piece;
                if (split == null) {
                    out.add(ByteLevelAlphabet.encode(p));
                } else {
                    List<String> words = new ArrayList<>();
                    split.splitOne(p, words);
                    for (String w : words) {
                        out.add(ByteLevelAlphabet.encode(w));
                    }
                }
            });
        }
    }

    /** Where Metaspace puts a leading replacement character. */
    enum PrependScheme { ALWAYS, FIRST, NEVER }

    /** SentencePiece-style: spaces become ▁, a ▁ may be prepended, and pieces may split before each ▁. */
    record Metaspace(char replacement, PrependScheme prependScheme, boolean split) implements PreTokenizer {
        @Override
        public void apply(Pieces pieces) {
            String rep = String.valueOf(replacement);
            pieces.splitEach((piece, atOrigin, out) -> {
                String p = piece.replace(" ", rep);
                boolean prepend = switch (prependScheme) {
                    case ALWAYS -> true;
                    case FIRST -> atOrigin;
                    case NEVER -> false;
                };
                if (prepend && !p.startsWith(rep)) {
                    p = rep + p;
                }
                if (!split) {
                    out.add(p);
                    return;
                }
                int start = 0;
                for (int i = 1; i < p.length(); i++) {
                    if (p.charAt(i) == replacement) {
                        out.add(p.substring(start, i));
                        start = i;
                    }
                }
                out.add(p.substring(start));
            });
        }
    }

    /** Splits into runs of word characters and runs of other non-space characters. */
    record Whitespace() implements PreTokenizer {
        private static final Pattern WORDS = Pattern.compile("\\w+|[^\\w\\s]+", Pattern.UNICODE_CHARACTER_CLASS);

        @Override
        public void apply(Pieces pieces) {
            pieces.splitEach((piece, atOrigin, out) -> {
                Matcher m = WORDS.matcher(piece);
                while (m.find()) {
                    out.add(m.group());
                }
            });
        }
    }

    /** Splits on whitespace, dropping it. */
    record WhitespaceSplit() implements PreTokenizer {
        @Override
        public void apply(Pieces pieces) {
            pieces.splitEach((piece, atOrigin, out) -> {
                int i = 0;
                int n = piece.length();
                while (i < n) {
                    while (i < n && Normalizer.isWhitespace(piece.codePointAt(i))) {
                        i += Character.charCount(piece.codePointAt(i));
                    }
                    int start = i;
                    while (i < n && !Normalizer.isWhitespace(piece.codePointAt(i))) {
                        i += Character.charCount(piece.codePointAt(i));
                    }
                    if (i > start) {
                        out.add(piece.substring(start, i));
                    }
                }
            });
        }
    }

    /** Isolates digits, one by one or as runs. */
    record Digits(boolean individualDigits) implements PreTokenizer {
        @Override
        public void apply(Pieces pieces) {
            Split split = new Split(Pattern.compile(individualDigits ? "\\p{N}" : "\\p{N}+"),
                    individualDigits ? Behavior.ISOLATED : Behavior.CONTIGUOUS, false);
            pieces.splitEach((piece, atOrigin, out) -> split.splitOne(piece, out));
        }
    }

    /** Isolates punctuation characters (ASCII punctuation and Unicode category P). */
    record Punctuation(Behavior behavior) implements PreTokenizer {
        private static final Pattern PUNCT = Pattern.compile("[\\p{Punct}\\p{IsPunctuation}]");

        @Override
        public void apply(Pieces pieces) {
            Split split = new Split(PUNCT, behavior, false);
            pieces.splitEach((piece, atOrigin, out) -> split.splitOne(piece, out));
        }
    }

    /** Applies pre-tokenizers in order. */
    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {
        public Sequence {
            steps = List.copyOf(steps);
        }

        @Override
        public void apply(Pieces pieces) {
            for (PreTokenizer step : steps) {
                step.apply(pieces);
            }
        }
    }

    /** No pre-tokenizer: each normalized piece is one word. */
    record None() implements PreTokenizer {
        @Override
        public void apply(Pieces pieces) {
            pieces.items.removeIf(String::isEmpty);
        }
    }
}
