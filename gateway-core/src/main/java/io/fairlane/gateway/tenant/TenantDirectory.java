package io.fairlane.gateway.tenant;

import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.TenantConfig;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * API keys to tenants, for one configuration. Immutable; a reload builds a new directory.
 *
 * <p>A presented key is hashed with SHA-256 and looked up by digest, then confirmed with
 * {@link java.security.MessageDigest#isEqual}, which compares in constant time. The lookup's own timing
 * depends only on the digest, which an attacker cannot steer towards a stored one (SHA-256 preimage
 * resistance), so it leaks nothing about stored keys.
 */
public final class TenantDirectory {

    private final Map<ApiKeyHash, TenantConfig> byKey;
    private final Map<String, TenantConfig> byId;

    public TenantDirectory(List<TenantConfig> tenants) {
        Map<ApiKeyHash, TenantConfig> keys = new HashMap<>();
        Map<String, TenantConfig> ids = new HashMap<>();
        for (TenantConfig t : tenants) {
            ids.put(t.id(), t);
            for (ApiKeyHash h : t.apiKeys()) {
                keys.put(h, t);
            }
        }
        this.byKey = Map.copyOf(keys);
        this.byId = Map.copyOf(ids);
    }

    /** The tenant owning {@code apiKey}, if any. */
    public Optional<TenantConfig> authenticate(String apiKey) {
        byte[] digest = ApiKeyHash.sha256(apiKey.getBytes(StandardCharsets.UTF_8));
        TenantConfig t = byKey.get(ApiKeyHash.fromDigest(digest));
        if (t == null) {
            return Optional.empty();
        }
        for (ApiKeyHash stored : t.apiKeys()) {
            if (stored.matches(digest)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    public Optional<TenantConfig> byId(String id) {
        return Optional.ofNullable(byId.get(id));
    }
}
