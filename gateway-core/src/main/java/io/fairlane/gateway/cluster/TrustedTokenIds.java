package io.fairlane.gateway.cluster;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Token ids a router already computed, handed to an engine replica so the prompt is not tokenised twice, in a way a
 * client cannot forge. The router sends them in {@link #IDS_HEADER} (base64 of big-endian 32-bit ids) with
 * {@link #MAC_HEADER}: an HMAC-SHA256, under a key only routers and engines hold (from the environment, a Kubernetes
 * Secret), over the tenant, the model, the SHA-256 of the request body and the ids. The engine uses the ids only when
 * the MAC verifies; otherwise it tokenises itself, exactly as without the headers. Binding the body and the tenant
 * means a captured pair of headers is useless with any other request or API key; a replica without the key ignores
 * the headers altogether.
 *
 * <p>Immutable and thread-safe (a {@link Mac} per call).
 */
public final class TrustedTokenIds {

    public static final String IDS_HEADER = "x-fairlane-token-ids";
    public static final String MAC_HEADER = "x-fairlane-token-ids-mac";

    private final SecretKeySpec key;

    /** @param secret the shared key; at least 32 bytes */
    public TrustedTokenIds(byte[] secret) {
        Objects.requireNonNull(secret, "secret");
        if (secret.length < 32) {
            throw new IllegalArgumentException("the internal key must be at least 32 bytes, was " + secret.length);
        }
        this.key = new SecretKeySpec(secret.clone(), "HmacSHA256");
    }

    /** The two header values for a request: ids, then MAC. */
    public String[] sign(String tenant, String model, byte[] body, int[] ids) {
        String encoded = encode(ids);
        return new String[] {encoded, Base64.getEncoder().encodeToString(mac(tenant, model, body, encoded))};
    }

    /**
     * The ids, when {@code macHeader} proves a router computed them for this tenant, model and body; empty when
     * either header is missing, malformed or does not verify.
     */
    public Optional<int[]> verify(String tenant, String model, byte[] body, String idsHeader, String macHeader) {
        if (idsHeader == null || macHeader == null) {
            return Optional.empty();
        }
        byte[] given;
        try {
            given = Base64.getDecoder().decode(macHeader);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (!MessageDigest.isEqual(given, mac(tenant, model, body, idsHeader))) {
            return Optional.empty();
        }
        try {
            byte[] raw = Base64.getDecoder().decode(idsHeader);
            if (raw.length % 4 != 0) {
                return Optional.empty();
            }
            int[] ids = new int[raw.length / 4];
            ByteBuffer.wrap(raw).asIntBuffer().get(ids);
            return Optional.of(ids);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static String encode(int[] ids) {
        ByteBuffer b = ByteBuffer.allocate(4 * ids.length);
        b.asIntBuffer().put(ids);
        return Base64.getEncoder().encodeToString(b.array());
    }

    private byte[] mac(String tenant, String model, byte[] body, String encodedIds) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            for (String part : new String[] {tenant, model}) {
                byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
                mac.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
                mac.update(bytes);
            }
            mac.update(MessageDigest.getInstance("SHA-256").digest(body));
            return mac.doFinal(encodedIds.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("every JDK provides HMAC-SHA256", e);
        }
    }
}
