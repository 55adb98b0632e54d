package io.fairlane.gateway.files;

import java.security.SecureRandom;

/**
 * Ids of stored objects ({@code file-...}, {@code batch_...}): a prefix and random letters and digits, so an id
 * says nothing about another (no counter to walk) and cannot be guessed. 24 characters carry about 143 bits.
 */
public final class Ids {

    private static final char[] ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {
    }

    /** {@code prefix} and 24 random characters. */
    public static String random(String prefix) {
        StringBuilder sb = new StringBuilder(prefix.length() + 24).append(prefix);
        for (int i = 0; i < 24; i++) {
            sb.append(ALPHABET[RANDOM.nextInt(ALPHABET.length)]);
        }
        return sb.toString();
    }

    /** Whether {@code id} could be one made by {@link #random} with {@code prefix}: a cheap check before a lookup. */
    public static boolean looksLike(String id, String prefix) {
        if (id == null || !id.startsWith(prefix) || id.length() != prefix.length() + 24) {
            return false;
        }
        for (int i = prefix.length(); i < id.length(); i++) {
            char c = id.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9')) {
                return false;
            }
        }
        return true;
    }
}
