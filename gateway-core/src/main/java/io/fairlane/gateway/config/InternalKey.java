package io.fairlane.gateway.config;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * The key routers and engine replicas share to sign the caller's tenant and token ids (read from the environment
 * variable a config names, such as a Kubernetes Secret's). Never printed.
 *
 * @param bytes the key, at least {@link #MIN_BYTES} long
 */
public record InternalKey(byte[] bytes) {

    public static final int MIN_BYTES = 32;

    public InternalKey {
        bytes = bytes.clone();
        if (bytes.length < MIN_BYTES) {
            throw new IllegalArgumentException("the internal key must be at least " + MIN_BYTES + " bytes");
        }
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public String toString() {
        return "InternalKey[redacted]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InternalKey k && java.util.Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(bytes);
    }

    /** Reads {@code n.key} (an environment variable's name) and the key it holds; errors go to {@code n}. */
    static Optional<InternalKey> read(ConfigNode n, String key, Map<String, String> env) {
        String var = n.string(key, null);
        if (var == null) {
            return Optional.empty();
        }
        String value = env.get(var);
        if (value == null || value.isEmpty()) {
            n.error(key, "environment variable " + var + " is not set");
            return Optional.empty();
        }
        byte[] raw = value.getBytes(StandardCharsets.UTF_8);
        if (raw.length < MIN_BYTES) {
            n.error(key, "environment variable " + var + " holds " + raw.length + " bytes; the key needs at least "
                    + MIN_BYTES + " (openssl rand -base64 48)");
            return Optional.empty();
        }
        return Optional.of(new InternalKey(raw));
    }
}
