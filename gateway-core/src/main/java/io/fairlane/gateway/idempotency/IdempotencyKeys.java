package io.fairlane.gateway.idempotency;

import io.fairlane.gateway.config.IdempotencyConfig;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where {@code Idempotency-Key} claims are decided: this process's {@link IdempotencyStore}, or a store shared by
 * several replicas (see {@code io.fairlane.gateway.shared}).
 */
public interface IdempotencyKeys {

    IdempotencyConfig config();

    /**
     * Claims {@code key} for a request with {@code fingerprint}; see {@link IdempotencyStore#claim}.
     *
     * @param waiter told, on any thread, when a {@link IdempotencyStore.Wait} is over
     */
    IdempotencyStore.Claim claim(String tenant, String key, byte[] fingerprint,
                                 Consumer<Optional<StoredResponse>> waiter);

    /** Whether {@link #claim} may block (on a network store): then it is never called on an event loop. */
    default boolean blocking() {
        return false;
    }
}
