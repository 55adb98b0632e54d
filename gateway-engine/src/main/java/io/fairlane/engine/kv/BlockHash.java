package io.fairlane.engine.kv;

import java.util.HexFormat;

/**
 * The SHA-256 digest identifying the content of one full KV block together with everything before it
 * (the chain of parent hashes) and the cache salt of its first block. Held as four longs so that the hash
 * index compares and hashes keys without touching arrays.
 */
public record BlockHash(long w0, long w1, long w2, long w3) {

    static BlockHash of(byte[] digest) {
        if (digest.length != 32) {
            throw new IllegalArgumentException("a block hash is 32 bytes, was " + digest.length);
        }
        return new BlockHash(word(digest, 0), word(digest, 8), word(digest, 16), word(digest, 24));
    }

    /** Writes the 32 bytes of this hash into {@code out} at {@code offset}. */
    void writeTo(byte[] out, int offset) {
        putWord(out, offset, w0);
        putWord(out, offset + 8, w1);
        putWord(out, offset + 16, w2);
        putWord(out, offset + 24, w3);
    }

    private static long word(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[at + i] & 0xFF);
        }
        return v;
    }

    private static void putWord(byte[] b, int at, long v) {
        for (int i = 7; i >= 0; i--) {
            b[at + i] = (byte) v;
            v >>>= 8;
        }
    }

    /** The first eight hex digits: enough to tell hashes apart in a log, and reveals nothing useful. */
    @Override
    public String toString() {
        return "BlockHash[" + HexFormat.of().toHexDigits(w0).substring(0, 8) + "]";
    }
}
