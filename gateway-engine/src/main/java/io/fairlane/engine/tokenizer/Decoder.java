package io.fairlane.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The {@code decoder} section of a {@code tokenizer.json}: turns the token strings of a sequence back into
 * text. Like the reference library, each step maps a list of strings to a list of strings, and the final
 * list is concatenated.
 */
sealed interface Decoder {

    List<String> decodeChain(List<String> tokens);

    default String decode(List<String> tokens) {
        return String.join("", decodeChain(tokens));
    }

    /** Byte-level alphabet back to bytes, then UTF-8 with replacement characters. */
    record ByteLevel() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (String token : tokens) {
                bytes.writeBytes(tokenBytes(token));
            }
            return List.of(Utf8.decodeLossy(bytes.toByteArray()));
        }

        /** A token's bytes; a token with any character outside the alphabet stands for its own UTF-8. */
        static byte[] tokenBytes(String token) {
            byte[] out = new byte[token.length()];
            for (int i = 0; i < token.length(); i++) {
                int b = ByteLevelAlphabet.byteOf(token.charAt(i));
                if (b < 0) {
                    return token.getBytes(StandardCharsets.UTF_8);
                }
                out[i] = (byte) b;
            }
            return out;
        }
    }

    /** Replaces a literal in every token (SentencePiece models turn ▁ back into a space). */
    record Replace(String pattern, String content) implements Decoder {
        public Replace {
            Objects.requireNonNull(pattern, "pattern");
            Objects.requireNonNull(content, "content");
        }

        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String t : tokens) {
                out.add(t.replace(pattern, content));
            }
            return out;
        }
    }

    /**
     * Tokens of the form {@code <0xNN>} are raw bytes: each run of them becomes its UTF-8 text, or one
     * U+FFFD per byte when the run is not valid UTF-8.
     */
    record ByteFallback() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            ByteArrayOutputStream run = new ByteArrayOutputStream();
            for (String t : tokens) {
                int b = byteToken(t);
                if (b >= 0) {
                    run.write(b);
                    continue;
                }
                flushRun(run, out);
                out.add(t);
            }
            flushRun(run, out);
            return out;
        }

        static void flushRun(ByteArrayOutputStream run, List<String> out) {
            if (run.size() == 0) {
                return;
            }
            byte[] bytes = run.toByteArray();
            run.reset();
            if (isValidUtf8(bytes)) {
                out.add(new String(bytes, StandardCharsets.UTF_8));
            } else {
                for (int i = 0; i < bytes.length; i++) {
                    out.add("\uFFFD");
                }
            }
        }

        /** The byte a {@code <0xNN>} token stands for, or -1 for any other token. */
        static int byteToken(String t) {
            if (t.length() != 6 || !t.startsWith("<0x") || t.charAt(5) != '>') {
                return -1;
            }
            int hi = Character.digit(t.charAt(3), 16);
            int lo = Character.digit(t.charAt(4), 16);
            return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
        }

        static boolean isValidUtf8(byte[] bytes) {
            return Utf8.isValid(bytes);
        }
    }

    /** Joins all tokens into one. */
    record Fuse() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            return List.of(String.join("", tokens));
        }
    }

    /** Removes up to {@code start} leading and {@code stop} trailing copies of a character from each token. */
    record Strip(char content, int start, int stop) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String t : tokens) {
                int[] cps = t.codePoints().toArray();
                int from = 0;
                for (int i = 0; i < Math.min(start, cps.length) && cps[i] == content; i++) {
                    from = i + 1;
                }
                int to = cps.length;
                for (int i = 0; i < stop && cps.length - 1 - i >= 0 && cps[cps.length - 1 - i] == content; i++) {
                    to = cps.length - 1 - i;
                }
                out.add(from >= to ? "" : new String(cps, from, to - from));
            }
            return out;
        }
    }

    /** SentencePiece's ▁ back to spaces; the first token loses its ▁ when a prefix was added on encode. */
    record Metaspace(char replacement, boolean stripsFirst) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                String t = tokens.get(i);
                StringBuilder sb = new StringBuilder(t.length());
                for (int k = 0; k < t.length(); k++) {
                    char c = t.charAt(k);
                    if (c == replacement) {
                        if (!(i == 0 && stripsFirst)) {
                            sb.append(' ');
                        }
                    } else {
                        sb.append(c);
                    }
                }
                out.add(sb.toString());
            }
            return out;
        }
    }

    /** Word-final suffix back to a space (classic BPE with {@code end_of_word_suffix}). */
    record BpeSuffix(String suffix) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                out.add(tokens.get(i).replace(suffix, i == tokens.size() - 1 ? "" : " "));
            }
            return out;
        }
    }

    /** Applies decoders in order. */
    record Sequence(List<Decoder> steps) implements Decoder {
        public Sequence {
            steps = List.copyOf(steps);
        }

        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = tokens;
            for (Decoder step : steps) {
                out = step.decodeChain(out);
            }
            return out;
        }
    }

    /** No decoder: tokens joined with spaces, as the library does. */
    record None() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            return List.of(String.join(" ", tokens));
        }
    }
}
