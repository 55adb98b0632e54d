package io.fairlane.gateway.tenant;

import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.http.HttpHandler;
import io.fairlane.gateway.http.InProcessRequests;
import io.fairlane.gateway.config.TenantConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The authentication decorator: {@code Authorization: Bearer <key>} → tenant, answered as OpenAI answers
 * a missing key (401, code null) or a wrong one (401 {@code invalid_api_key}, the key shown masked).
 * Reads the current {@link TenantDirectory}, which a configuration reload swaps. Requests the gateway runs itself
 * ({@link InProcessRequests}: batch lines) carry their tenant instead of a key.
 */
public final class Authenticator implements Function<HttpHandler, HttpHandler> {

    private final AtomicReference<TenantDirectory> directory;

    public Authenticator(AtomicReference<TenantDirectory> directory) {
        this.directory = Objects.requireNonNull(directory, "directory");
    }

    @Override
    public HttpHandler apply(HttpHandler next) {
        return exchange -> {
            Optional<String> inProcess = InProcessRequests.tenantOf(exchange);
            exchange.authenticate(inProcess.isPresent() ? tenant(inProcess.get())
                    : authenticate(exchange.requestHeaders().get(HttpHeaderNames.AUTHORIZATION)));
            next.serve(exchange);
        };
    }

    /**
     * The tenant an in-process request (a batch line) runs as, by id: it was authenticated when the batch was
     * created. A tenant removed from the configuration since gets the answer a revoked key would.
     */
    private TenantConfig tenant(String id) {
        return directory.get().byId(id).orElseThrow(() -> new ApiException(new ApiError(401, "The tenant '" + id
                + "' that created this work is no longer configured.", "invalid_request_error", null,
                "invalid_api_key")));
    }

    TenantConfig authenticate(String authorization) {
        String key = bearerKey(authorization);
        if (key == null) {
            throw new ApiException(missingKey());
        }
        Optional<TenantConfig> tenant = directory.get().authenticate(key);
        if (tenant.isEmpty()) {
            throw new ApiException(new ApiError(401, "Incorrect API key provided: " + mask(key)
                    + ". Check the key your Fairlane administrator gave you.", "invalid_request_error", null,
                    "invalid_api_key"));
        }
        return tenant.get();
    }

    /** OpenAI's answer to a request without a key. */
    public static ApiError missingKey() {
        return new ApiError(401, "You didn't provide an API key. You need to provide your API key "
                + "in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                "invalid_request_error", null, null);
    }

    /** The key of an {@code Authorization: Bearer <key>} header, or null when there is none. */
    public static String bearerKey(String authorization) {
        if (authorization == null) {
            return null;
        }
        String h = authorization.strip();
        if (h.length() < 7 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String key = h.substring(7).strip();
        return key.isEmpty() ? null : key;
    }

    /**
     * The key as OpenAI echoes a wrong one: a few leading characters, asterisks, the last four
     * ({@code sk-fa*******demo}); short keys are all asterisks, so nothing useful is revealed.
     */
    public static String mask(String key) {
        if (key.length() <= 8) {
            return "*".repeat(key.length());
        }
        int head = Math.min(8, key.length() / 3);
        int tail = 4;
        return key.substring(0, head) + "*".repeat(key.length() - head - tail) + key.substring(key.length() - tail);
    }
}
