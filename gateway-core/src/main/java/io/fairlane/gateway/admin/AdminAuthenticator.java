package io.fairlane.gateway.admin;

import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.http.HttpHandler;
import io.fairlane.gateway.tenant.Authenticator;
import io.fairlane.gateway.tenant.TenantDirectory;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The admin API's authentication decorator: only a key listed under {@code admin_keys} passes. A tenant's
 * key is recognised and refused with 403 (the caller is known, the operation is not theirs); a missing key
 * or one nobody holds gets the tenant API's 401. Reads the current keys on every request, so a
 * configuration reload applies at once. Thread-safe.
 */
public final class AdminAuthenticator implements Function<HttpHandler, HttpHandler> {

    private final Supplier<List<ApiKeyHash>> adminKeys;
    private final Supplier<TenantDirectory> tenants;

    public AdminAuthenticator(Supplier<List<ApiKeyHash>> adminKeys, Supplier<TenantDirectory> tenants) {
        this.adminKeys = Objects.requireNonNull(adminKeys, "adminKeys");
        this.tenants = Objects.requireNonNull(tenants, "tenants");
    }

    @Override
    public HttpHandler apply(HttpHandler next) {
        return exchange -> {
            check(exchange.requestHeaders().get(HttpHeaderNames.AUTHORIZATION));
            next.serve(exchange);
        };
    }

    /** Returns normally for an admin key; throws the 401 or 403 otherwise. */
    void check(String authorization) {
        String key = Authenticator.bearerKey(authorization);
        if (key == null) {
            throw new ApiException(Authenticator.missingKey());
        }
        if (isAdmin(key)) {
            return;
        }
        if (tenants.get().authenticate(key).isPresent()) {
            throw new ApiException(new ApiError(403, "This key belongs to a tenant and may not call the admin API. "
                    + "Admin endpoints take a key listed under admin_keys in Fairlane's configuration.",
                    "invalid_request_error", null, "insufficient_permissions"));
        }
        throw new ApiException(new ApiError(401, "Incorrect API key provided: " + Authenticator.mask(key)
                + ". The admin API takes a key listed under admin_keys in Fairlane's configuration.",
                "invalid_request_error", null, "invalid_api_key"));
    }

    /** Compares the key's digest with every admin key, each comparison in constant time. */
    private boolean isAdmin(String key) {
        byte[] digest = ApiKeyHash.sha256(key.getBytes(StandardCharsets.UTF_8));
        boolean match = false;
        for (ApiKeyHash admin : adminKeys.get()) {
            match |= admin.matches(digest);
        }
        return match;
    }
}
