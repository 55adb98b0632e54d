package io.fairlane.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What a single token contributes to decoded text, derived from the decoder chain: the per-token view that
 * logprobs and streaming need, which the whole-sequence {@link Decoder} does not give.
 */
final class TokenPieces {

    private TokenPieces() {
    }

    /** The decoder's steps with nested sequences flattened. */
    static List<Decoder> steps(Decoder decoder) {
        List<Decoder> out = new ArrayList<>();
        flatten(decoder, out);
        return out;
    }

    private static void flatten(Decoder d, List<Decoder> out) {
        if (d instanceof Decoder.Sequence(List<Decoder> steps)) {
            for (Decoder s : steps) {
                flatten(s, out);
            }
        } else {
            out.add(d);
        }
    }

    /** The bytes a token stands for, ignoring rules that depend on its position in the sequence. */
    static byte[] bytesOf(Decoder decoder, String token) {
        String t = token;
        for (Decoder step : steps(decoder)) {
            switch (step) {
                case Decoder.ByteLevel bl -> {
                    return Decoder.ByteLevel.tokenBytes(t);
                }
                case Decoder.ByteFallback bf -> {
                    int b = Decoder.ByteFallback.byteToken(t);
                    if (b >= 0) {
                        return new byte[] {(byte) b};
                    }
                }
                case Decoder.Replace(String pattern, String content) -> t = t.replace(pattern, content);
                case Decoder.Metaspace ms -> t = t.replace(ms.replacement(), ' ');
                default -> {
                    // Fuse, Strip and the like change how tokens join, not what one token stands for
                }
            }
        }
        return t.getBytes(StandardCharsets.UTF_8);
    }
}
