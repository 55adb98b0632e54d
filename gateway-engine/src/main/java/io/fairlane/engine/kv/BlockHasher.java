package io.fairlane.engine.kv;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Objects;

/**
 * Computes chained block hashes: {@code hash(i) = SHA-256(hash(i-1), token ids of block i, extra keys of block i)}.
 *
 * <p>The first block's parent is a fixed root and its extra keys carry the cache salt, so every hash of a
 * sequence depends on the salt: two tenants with different salts never share a block, which closes the
 * timing side channel through shared prompt caches (Gu et al., "Auditing Prompt Caching in Language Model
 * APIs", 2024). This follows vLLM's automatic prefix caching, where the salt is applied to the first block
 * only and SHA-256 is the recommended hash for multi-tenant use.
 *
 * <p>The byte layout is length-prefixed (token count, then each extra key's byte length) so that no two
 * different inputs encode to the same bytes. Instances are not thread-safe (one digest each); the static
 * helpers make a fresh one per call.
 */
public final class BlockHasher {

    /** Parent of the first block of every sequence. */
    static final BlockHash ROOT = BlockHash.of(sha256().digest("fairlane.kv.root.v1".getBytes(StandardCharsets.UTF_8)));

    private final MessageDigest digest = sha256();
    private final byte[] parentBytes = new byte[32];
    private byte[] tokenBytes = new byte[64];

    /**
     * Hashes one block.
     *
     * @param parent    the previous block's hash, or {@link #ROOT} for the first block
     * @param tokens    token ids
     * @param from      index of the block's first token in {@code tokens}
     * @param count     tokens in the block
     * @param extraKeys keys that change the block's meaning beyond its tokens (the cache salt on the first block)
     */
    BlockHash hash(BlockHash parent, int[] tokens, int from, int count, List<String> extraKeys) {
        Objects.requireNonNull(parent, "parent");
        Objects.checkFromIndexSize(from, count, tokens.length);
        parent.writeTo(parentBytes, 0);
        digest.update(parentBytes);
        int bytes = 4 + 4 * count;
        if (tokenBytes.length < bytes) {
            tokenBytes = new byte[bytes];
        }
        putInt(tokenBytes, 0, count);
        for (int i = 0; i < count; i++) {
            putInt(tokenBytes, 4 + 4 * i, tokens[from + i]);
        }
        digest.update(tokenBytes, 0, bytes);
        byte[] lengthBytes = new byte[4];
        for (String key : extraKeys) {
            byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
            putInt(lengthBytes, 0, keyBytes.length);
            digest.update(lengthBytes);
            digest.update(keyBytes);
        }
        return BlockHash.of(digest.digest());
    }

    /**
     * Hashes block {@code index} of a sequence whose earlier blocks hash to {@code parent}; the salt joins
     * the first block only.
     */
    BlockHash hashBlock(BlockHash parent, int[] tokens, int index, int blockSize, String cacheSalt) {
        List<String> extra = index == 0 ? List.of(cacheSalt) : List.of();
        return hash(index == 0 ? ROOT : parent, tokens, index * blockSize, blockSize, extra);
    }

    /**
     * Hashes of every full block of {@code tokens[0, length)}.
     *
     * @return one hash per full block, in order
     */
    public static BlockHash[] hashFullBlocks(int[] tokens, int length, int blockSize, String cacheSalt) {
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(cacheSalt, "cacheSalt");
        if (blockSize <= 0) {
            throw new IllegalArgumentException("blockSize must be > 0, was " + blockSize);
        }
        Objects.checkFromToIndex(0, length, tokens.length);
        BlockHasher hasher = new BlockHasher();
        BlockHash[] hashes = new BlockHash[length / blockSize];
        BlockHash parent = ROOT;
        for (int i = 0; i < hashes.length; i++) {
            parent = hasher.hashBlock(parent, tokens, i, blockSize, cacheSalt);
            hashes[i] = parent;
        }
        return hashes;
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK provides SHA-256", e);
        }
    }
}
