package io.fairlane.gateway.cluster;

import io.fairlane.gateway.config.TenantConfig;
import io.fairlane.gateway.http.Exchange;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Optional;
import java.util.function.Function;

/**
 * The caller's tenant, carried from a router to an engine replica. The router names the tenant in
 * {@link #TENANT_HEADER} and signs it, with the token ids it computed (none when it did not tokenise), through
 * {@link TrustedTokenIds}: the MAC covers tenant, model, body and ids. An engine replica holding the same key treats
 * a request whose MAC verifies as that tenant (its fair share, its cache salt, its usage); without the key, or when
 * anything does not verify, the three headers are ignored and the request stays the authenticated caller's (the
 * routers' own tenant), never the one a header names.
 *
 * <p>Immutable and thread-safe.
 */
public final class SignedTenant {

    public static final String TENANT_HEADER = "x-fairlane-tenant";

    private final TrustedTokenIds keys;

    public SignedTenant(TrustedTokenIds keys) {
        this.keys = keys;
    }

    /** Router side: names and signs {@code tenant} on a request for {@code model} whose body is {@code content}. */
    public void sign(HttpHeaders headers, String tenant, String model, ByteBuf content, int[] ids) {
        String[] signed = keys.sign(tenant, model, ByteBufUtil.getBytes(content, content.readerIndex(),
                content.readableBytes(), false), ids);
        headers.set(TENANT_HEADER, tenant);
        headers.set(TrustedTokenIds.IDS_HEADER, signed[0]);
        headers.set(TrustedTokenIds.MAC_HEADER, signed[1]);
    }

    /** What an engine learned from a verified request: the tenant it runs as, and the router's token ids. */
    public record Verified(TenantConfig tenant, int[] tokenIds) {
    }

    /**
     * Engine side: when the exchange carries a tenant signed for {@code model} and its body, and that tenant exists
     * here, the exchange is re-authenticated as it. Empty (and the exchange untouched) otherwise.
     *
     * @param tenants the tenants this replica knows, by id
     */
    public Optional<Verified> apply(Exchange exchange, String model, Function<String, Optional<TenantConfig>> tenants) {
        HttpHeaders h = exchange.requestHeaders();
        String tenant = h.get(TENANT_HEADER);
        if (tenant == null) {
            return Optional.empty();
        }
        ByteBuf body = exchange.body();
        byte[] bytes = ByteBufUtil.getBytes(body, body.readerIndex(), body.readableBytes(), false);
        Optional<int[]> ids = keys.verify(tenant, model, bytes, h.get(TrustedTokenIds.IDS_HEADER),
                h.get(TrustedTokenIds.MAC_HEADER));
        if (ids.isEmpty()) {
            return Optional.empty();
        }
        Optional<TenantConfig> known = tenants.apply(tenant);
        known.ifPresent(exchange::authenticate);
        return known.map(t -> new Verified(t, ids.get()));
    }
}
