package io.fairlane.gateway.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The SHA-256 digest of an API key, the only form in which keys appear in configuration
 * ({@code sha256:<64 hex digits>}). Keys are compared by digest with {@link MessageDigest#isEqual}, which
 * takes the same time whatever the bytes.
 */
public final class ApiKeyHash {

    public static final String PREFIX = "sha256:";

    private final byte[] digest;

    private ApiKeyHash(byte[] digest) {
        this.digest = digest;
    }

    /** Parses {@code sha256:<hex>}; throws IllegalArgumentException saying what the form should be. */
    public static ApiKeyHash parse(String text) {
        Objects.requireNonNull(text, "text");
        if (!text.startsWith(PREFIX) || text.length() != PREFIX.length() + 64) {
            throw new IllegalArgumentException(
                    "expected sha256:<64 hex digits> (print one with ./fairlane hash-key), got '" + abbreviate(text) + "'");
        }
        try {
            return new ApiKeyHash(HexFormat.of().parseHex(text, PREFIX.length(), text.length()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected sha256:<64 hex digits>, got non-hex characters");
        }
    }

    /** The digest of a plain key. */
    public static ApiKeyHash of(String key) {
        Objects.requireNonNull(key, "key");
        return new ApiKeyHash(sha256(key.getBytes(StandardCharsets.UTF_8)));
    }

    /** Wraps a digest computed elsewhere (32 bytes). */
    public static ApiKeyHash fromDigest(byte[] digest) {
        if (digest.length != 32) {
            throw new IllegalArgumentException("a SHA-256 digest has 32 bytes, got " + digest.length);
        }
        return new ApiKeyHash(digest.clone());
    }

    /** One digest per thread: {@code MessageDigest.getInstance} looks up providers on every call. */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    });

    public static byte[] sha256(byte[] bytes) {
        MessageDigest md = SHA256.get();
        md.reset();
        return md.digest(bytes);
    }

    /** Constant-time comparison with another digest. */
    public boolean matches(byte[] otherDigest) {
        return MessageDigest.isEqual(digest, otherDigest);
    }

    public byte[] digest() {
        return digest.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ApiKeyHash other && MessageDigest.isEqual(digest, other.digest);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(digest);
    }

    /** The configuration form, {@code sha256:<hex>}. */
    @Override
    public String toString() {
        return PREFIX + HexFormat.of().formatHex(digest);
    }

    private static String abbreviate(String s) {
        return s.length() <= 12 ? s : s.substring(0, 12) + "...";
    }
}
