package io.fairlane.gateway.responses;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Where responses are kept, per tenant, bounded by count and bytes and for a time to live: when a put takes a tenant
 * past a bound its oldest responses go first. Another tenant's id is never found, however it was learnt.
 *
 * <p>Reads see every write that returned before them, so a client that continues a response the moment it completed
 * ({@code previous_response_id}) finds it even when the write to disk is still under way. Reads and deletes may
 * wait on disk and answer through futures, completed on threads of the store's own; callers hop back to their
 * event loop. Thread-safe.
 */
public interface ResponseStore extends AutoCloseable {

    /**
     * Keeps {@code response} (replacing one with the same tenant and id). Returns false, keeping nothing, when it is
     * larger than one response may be. Never blocks: a durable store writes in the background.
     */
    boolean put(StoredResponse response);

    /** The tenant's response {@code id}, or empty when there is none (never stored, deleted, expired, evicted). */
    CompletableFuture<Optional<StoredResponse>> get(String tenant, String id);

    /** Deletes the tenant's response {@code id}; whether there was one. */
    CompletableFuture<Boolean> delete(String tenant, String id);

    /** Waits until every write made so far is done (tests; a durable store's eviction happens as it writes). */
    default void flush() {
    }

    /** Finishes the writes under way (within a few seconds) and frees what the store holds. */
    @Override
    void close();
}
