package io.fairlane.gateway.idempotency;

import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.http.HttpHandler;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code Idempotency-Key} decorator, placed after authentication (keys are per tenant). A request
 * without the header passes straight through. With it, the request's fingerprint (method, path, body
 * bytes) decides: a new key runs the request and stores its response if it ends as a complete 2xx; a known
 * key with the same fingerprint replays the stored response (marked {@code idempotent-replayed: true}) or,
 * while the first attempt still runs, waits for it; a known key with another fingerprint is a 400.
 */
public final class IdempotentRequests implements Function<HttpHandler, HttpHandler> {

    public static final String HEADER = "Idempotency-Key";
    public static final String REPLAYED_HEADER = "idempotent-replayed";
    static final int MAX_KEY_LENGTH = 255;

    private static final Logger LOG = LoggerFactory.getLogger(IdempotentRequests.class);

    private final IdempotencyKeys store;

    public IdempotentRequests(IdempotencyKeys store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    @Override
    public HttpHandler apply(HttpHandler next) {
        if (!store.config().enabled()) {
            return next;
        }
        return exchange -> {
            String key = exchange.requestHeaders().get(HEADER);
            if (key == null) {
                next.serve(exchange);
                return;
            }
            validate(key);
            serve(next, exchange, key, fingerprint(exchange));
        };
    }

    private void serve(HttpHandler next, Exchange exchange, String key, byte[] fingerprint) throws Exception {
        if (!store.blocking()) {
            serve(next, exchange, key, fingerprint, claim(next, exchange, key, fingerprint));
            return;
        }
        Thread.ofVirtual().name("idempotency-claim").start(() -> {
            IdempotencyStore.Claim claim;
            try {
                claim = claim(next, exchange, key, fingerprint);
            } catch (RuntimeException e) {
                exchange.tryExecute(() -> exchange.fail(e));
                return;
            }
            exchange.tryExecute(() -> {
                try {
                    if (!exchange.isDone()) {
                        serve(next, exchange, key, fingerprint, claim);
                    } else if (claim instanceof IdempotencyStore.Run run) {
                        run.pending().abandon();
                    }
                } catch (Throwable t) {
                    exchange.fail(t);
                }
            });
        });
    }

    private IdempotencyStore.Claim claim(HttpHandler next, Exchange exchange, String key, byte[] fingerprint) {
        return store.claim(exchange.tenant().id(), key, fingerprint,
                settled -> afterWait(next, exchange, key, fingerprint, settled));
    }

    private void serve(HttpHandler next, Exchange exchange, String key, byte[] fingerprint,
                       IdempotencyStore.Claim claim) throws Exception {
        switch (claim) {
            case IdempotencyStore.Run run -> {
                ResponseCopy copy = new ResponseCopy(store.config().maxResponseBytes());
                exchange.tap(copy);
                exchange.onDone(e -> copy.result().ifPresentOrElse(run.pending()::store, run.pending()::abandon));
                next.serve(exchange);
            }
            case IdempotencyStore.Replay replay -> replay(exchange, replay.response());
            case IdempotencyStore.Conflict conflict -> throw new ApiException(new ApiError(400, "The "
                    + HEADER + " '" + key + "' was already used with a different request within the last "
                    + store.config().window().toHours() + " hours. Use a new key for a new request.",
                    "invalid_request_error", null, "idempotency_key_reused"));
            case IdempotencyStore.Wait wait -> LOG.debug("request {} waits for the first attempt of its {}",
                    exchange.requestId(), HEADER);
            case IdempotencyStore.Untracked untracked -> {
                LOG.warn("request {}: tenant {} has {} keys in flight; serving it without idempotency",
                        exchange.requestId(), exchange.tenant().id(), store.config().maxKeys());
                next.serve(exchange);
            }
        }
    }

    /** The first attempt of the key ended: replay its response, or claim the key again if it was abandoned. */
    private void afterWait(HttpHandler next, Exchange exchange, String key, byte[] fingerprint,
                           Optional<StoredResponse> settled) {
        // When the loop no longer takes tasks the server is stopping; the waiting exchange goes with it.
        exchange.tryExecute(() -> {
            if (exchange.isDone()) {
                return;
            }
            try {
                if (settled.isPresent()) {
                    replay(exchange, settled.get());
                } else {
                    serve(next, exchange, key, fingerprint);
                }
            } catch (Throwable t) {
                exchange.fail(t);
            }
        });
    }

    static void replay(Exchange exchange, StoredResponse response) {
        exchange.responseHeaders().set(REPLAYED_HEADER, "true");
        if (response.stream()) {
            exchange.startStream(false);
            exchange.endStream(Unpooled.wrappedBuffer(response.bytes()));
        } else {
            exchange.respond(HttpResponseStatus.valueOf(response.status()), Unpooled.wrappedBuffer(response.bytes()),
                    response.contentType());
        }
    }

    private static void validate(String key) {
        boolean printable = !key.isBlank() && key.length() <= MAX_KEY_LENGTH
                && key.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
        if (!printable) {
            throw new ApiException(new ApiError(400, "The " + HEADER + " header must be 1 to " + MAX_KEY_LENGTH
                    + " printable ASCII characters.", "invalid_request_error", null, "invalid_idempotency_key"));
        }
    }

    /** SHA-256 of the method, the path and the body bytes: what makes a repeat "the same request". */
    static byte[] fingerprint(Exchange exchange) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update((exchange.method().name() + " " + exchange.path() + "\n").getBytes(StandardCharsets.UTF_8));
            sha.update(exchange.body().nioBuffer());
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
