package io.fairlane.engine.tokenizer;

import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code normalizer} section of a {@code tokenizer.json}: a text-to-text step applied to every piece of
 * input that is not an added token, before pre-tokenization. Only the kinds real BPE tokenizers use are
 * modelled; anything else is refused when the file is loaded.
 */
sealed interface Normalizer {

    String normalize(String text);

    /** Unicode normalization forms (Qwen uses NFC). */
    record Unicode(java.text.Normalizer.Form form) implements Normalizer {
        @Override
        public String normalize(String text) {
            return java.text.Normalizer.isNormalized(text, form) ? text : java.text.Normalizer.normalize(text, form);
        }
    }

    /** Lower-cases code point by code point, without the context rules of {@link String#toLowerCase()}. */
    record Lowercase() implements Normalizer {
        @Override
        public String normalize(String text) {
            StringBuilder out = new StringBuilder(text.length());
            text.codePoints().forEach(cp -> {
                if (cp == 0x130) {
                    out.append("i\u0307");
                } else {
                    out.appendCodePoint(Character.toLowerCase(cp));
                }
            });
            return out.toString();
        }
    }

    /** Replaces every match of a literal or a regular expression (SentencePiece models turn spaces into ▁). */
    record Replace(Pattern pattern, String content) implements Normalizer {
        public Replace {
            Objects.requireNonNull(pattern, "pattern");
            Objects.requireNonNull(content, "content");
        }

        @Override
        public String normalize(String text) {
            return pattern.matcher(text).replaceAll(Matcher.quoteReplacement(content));
        }
    }

    /** Puts a fixed string in front of any non-empty piece (Llama 2 prepends ▁). */
    record Prepend(String prefix) implements Normalizer {
        @Override
        public String normalize(String text) {
            return text.isEmpty() ? text : prefix + text;
        }
    }

    /** Removes leading and/or trailing whitespace. */
    record Strip(boolean left, boolean right) implements Normalizer {
        @Override
        public String normalize(String text) {
            int start = 0;
            int end = text.length();
            if (left) {
                while (start < end && isWhitespace(text.codePointAt(start))) {
                    start += Character.charCount(text.codePointAt(start));
                }
            }
            if (right) {
                while (end > start && isWhitespace(text.codePointBefore(end))) {
                    end -= Character.charCount(text.codePointBefore(end));
                }
            }
            return text.substring(start, end);
        }
    }

    /** Applies normalizers in order. */
    record Sequence(List<Normalizer> steps) implements Normalizer {
        public Sequence {
            steps = List.copyOf(steps);
        }

        @Override
        public String normalize(String text) {
            String out = text;
            for (Normalizer step : steps) {
                out = step.normalize(out);
            }
            return out;
        }
    }

    /** Leaves text as it is (no normalizer configured). */
    record Identity() implements Normalizer {
        @Override
        public String normalize(String text) {
            return text;
        }
    }

    /** Unicode White_Space, which is what Rust's {@code char::is_whitespace} tests. */
    static boolean isWhitespace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F
                || cp == 0x3000;
    }
}
