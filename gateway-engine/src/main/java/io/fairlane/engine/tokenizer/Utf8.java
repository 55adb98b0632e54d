package io.fairlane.engine.tokenizer;

/**
 * UTF-8 decoding that matches the Hugging Face tokenizers library (Rust's {@code String::from_utf8_lossy}):
 * every maximal ill-formed subpart becomes one U+FFFD, the practice the Unicode standard recommends. The JDK's
 * decoder is close but not specified to agree, and the decoded text is compared byte for byte with the
 * reference. Also tells how many trailing bytes form a sequence that is still incomplete, which the streaming
 * detokenizer holds back.
 */
final class Utf8 {

    private Utf8() {
    }

    static String decodeLossy(byte[] bytes, int from, int to) {
        StringBuilder out = new StringBuilder(to - from);
        int i = from;
        while (i < to) {
            int b0 = bytes[i] & 0xFF;
            if (b0 < 0x80) {
                out.append((char) b0);
                i++;
                continue;
            }
            int need;
            int min2;
            int max2;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                need = 1; min2 = 0x80; max2 = 0xBF;
            } else if (b0 == 0xE0) {
                need = 2; min2 = 0xA0; max2 = 0xBF;
            } else if (b0 >= 0xE1 && b0 <= 0xEC || b0 == 0xEE || b0 == 0xEF) {
                need = 2; min2 = 0x80; max2 = 0xBF;
            } else if (b0 == 0xED) {
                need = 2; min2 = 0x80; max2 = 0x9F;
            } else if (b0 == 0xF0) {
                need = 3; min2 = 0x90; max2 = 0xBF;
            } else if (b0 >= 0xF1 && b0 <= 0xF3) {
                need = 3; min2 = 0x80; max2 = 0xBF;
            } else if (b0 == 0xF4) {
                need = 3; min2 = 0x80; max2 = 0x8F;
            } else {
                out.append('\uFFFD');
                i++;
                continue;
            }
            int cp = b0 & (0x3F >> need);
            int j = i + 1;
            boolean ok = true;
            for (int k = 0; k < need; k++, j++) {
                if (j >= to) {
                    ok = false;
                    break;
                }
                int b = bytes[j] & 0xFF;
                int lo = k == 0 ? min2 : 0x80;
                int hi = k == 0 ? max2 : 0xBF;
                if (b < lo || b > hi) {
                    ok = false;
                    break;
                }
                cp = (cp << 6) | (b & 0x3F);
            }
            if (ok) {
                out.appendCodePoint(cp);
                i = j;
            } else {
                out.append('\uFFFD');
                i = j;  // the maximal subpart ends just before the byte that broke the sequence
            }
        }
        return out.toString();
    }

    /** Whether the bytes are well-formed UTF-8 (no overlongs, surrogates or truncated sequences). */
    static boolean isValid(byte[] bytes) {
        try {
            java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes));
            return true;
        } catch (java.nio.charset.CharacterCodingException e) {
            return false;
        }
    }

    static String decodeLossy(byte[] bytes) {
        return decodeLossy(bytes, 0, bytes.length);
    }

    /**
     * How many bytes at the end of {@code bytes[from, to)} begin a well-formed sequence that more bytes could
     * still complete (0 to 3). Such a tail must not be decoded yet.
     */
    static int incompleteTail(byte[] bytes, int from, int to) {
        for (int back = 1; back <= 3 && to - back >= from; back++) {
            int b = bytes[to - back] & 0xFF;
            if (b < 0x80) {
                return 0;
            }
            if (b >= 0xC0) {  // a lead byte: is the sequence it starts still open and valid so far?
                int need = b >= 0xC2 && b <= 0xDF ? 1 : b >= 0xE0 && b <= 0xEF ? 2 : b >= 0xF0 && b <= 0xF4 ? 3 : 0;
                if (need < back) {
                    return 0;
                }
                if (back >= 2) {
                    int b1 = bytes[to - back + 1] & 0xFF;
                    int lo = b == 0xE0 ? 0xA0 : b == 0xF0 ? 0x90 : 0x80;
                    int hi = b == 0xED ? 0x9F : b == 0xF4 ? 0x8F : 0xBF;
                    if (b1 < lo || b1 > hi) {
                        return 0;
                    }
                }
                return need >= back ? back : 0;
            }
            // a continuation byte: keep looking for its lead
        }
        return 0;
    }
}
