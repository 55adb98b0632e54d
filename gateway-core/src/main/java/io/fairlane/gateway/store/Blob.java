package io.fairlane.gateway.store;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A stored blob, as {@link BlobStore} describes it once it is complete.
 *
 * @param id        32 lower-case hex digits, chosen by the store; features keep it in their own rows
 * @param size      its length in bytes
 * @param sha256    the SHA-256 of its content, 64 lower-case hex digits; reading the blob checks it
 * @param createdAt when the store finished writing it
 */
public record Blob(String id, long size, String sha256, Instant createdAt) {

    private static final Pattern ID = Pattern.compile("[0-9a-f]{32}");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public Blob {
        checkId(id);
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(createdAt, "createdAt");
        if (size < 0) {
            throw new IllegalArgumentException("size: must not be negative, was " + size);
        }
        if (!SHA256.matcher(sha256).matches()) {
            throw new IllegalArgumentException("sha256: must be 64 lower-case hex digits, was '" + sha256 + "'");
        }
    }

    /** A fresh random id: 128 bits, so ids never collide, and not guessable from one another. */
    static String newId() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** Fails unless {@code id} looks like one the store hands out (so it is also safe as a file name). */
    static String checkId(String id) {
        Objects.requireNonNull(id, "id");
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("id: a blob id is 32 lower-case hex digits, was '" + id + "'");
        }
        return id;
    }
}
