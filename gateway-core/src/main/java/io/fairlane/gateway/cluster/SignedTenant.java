package io.fairlane.gateway.cluster;

import io.fairlane.gateway.config.TenantConfig;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.lane.Lane;
import io.fairlane.gateway.lane.local.LocalEngineBackend;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
    /**
     * The fingerprint of the prompt path the router's ids come from ({@code PromptTokenizer.fingerprint}): an engine
     * whose own differs does not use them. Not a secret; the MAC is what makes the ids trusted.
     */
    public static final String TOKENIZER_HEADER = "x-fairlane-tokenizer";
    private static final Logger LOG = LoggerFactory.getLogger(SignedTenant.class);
    private static final int[] NO_IDS = new int[0];
    private static final AtomicBoolean MISMATCH_LOGGED = new AtomicBoolean();

    private final TrustedTokenIds keys;

    public SignedTenant(TrustedTokenIds keys) {
        this.keys = keys;
    }

    /** Router side: names and signs {@code tenant} on a request for {@code model} whose body is {@code content}. */
    public void sign(HttpHeaders headers, String tenant, String model, ByteBuf content, int[] ids) {
        sign(headers, tenant, model, content, ids, "");
    }

    /** {@link #sign} with the fingerprint of the prompt path that computed {@code ids} (empty: unknown). */
    public void sign(HttpHeaders headers, String tenant, String model, ByteBuf content, int[] ids, String tokenizer) {
        String[] signed = keys.sign(tenant, model, ByteBufUtil.getBytes(content, content.readerIndex(),
                content.readableBytes(), false), ids);
        headers.set(TENANT_HEADER, tenant);
        headers.set(TrustedTokenIds.IDS_HEADER, signed[0]);
        headers.set(TrustedTokenIds.MAC_HEADER, signed[1]);
        if (ids.length > 0 && !tokenizer.isEmpty()) {
            headers.set(TOKENIZER_HEADER, tokenizer);
        }
    }

    /**
     * What an engine learned from a verified request: the tenant it runs as, the router's token ids, and the
     * fingerprint of the prompt path that computed them (empty when the router named none).
     */
    public record Verified(TenantConfig tenant, int[] tokenIds, String tokenizer) {
    }

    /**
     * The router's ids when {@code lane} may use them: empty when its engine's prompt path has another fingerprint
     * than the router's (router and engine load different tokenizer files: the ids would be another prompt), which
     * is logged once; the engine then tokenises as without ids.
     */
    public static int[] tokenIds(Verified verified, Lane lane) {
        if (verified.tokenIds().length == 0 || verified.tokenizer().isEmpty()
                || !(lane.backend() instanceof LocalEngineBackend local)) {
            return verified.tokenIds();
        }
        String own = local.engine().promptFingerprint();
        if (own.isEmpty() || own.equals(verified.tokenizer())) {
            return verified.tokenIds();
        }
        if (MISMATCH_LOGGED.compareAndSet(false, true)) {
            LOG.error("model {}: a router tokenises with other tokenizer files (fingerprint {}) than this engine ({}):"
                    + " its token ids are ignored and prompts are tokenised here; give the router's model the same "
                    + "`tokenizer` as this engine's model", lane.id(), verified.tokenizer(), own);
        }
        return NO_IDS;
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
        String tokenizer = h.get(TOKENIZER_HEADER);
        return known.map(t -> new Verified(t, ids.get(), tokenizer == null ? "" : tokenizer));
    }
}
