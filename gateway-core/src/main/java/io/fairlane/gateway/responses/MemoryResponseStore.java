package io.fairlane.gateway.responses;

import io.fairlane.gateway.config.ResponsesConfig;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Responses kept in memory, for a gateway whose configuration names no durable store: lost at a restart, bounded
 * per tenant like the durable one. Each tenant's responses sit in insertion order, so the oldest (first to expire
 * and first to be evicted) are at the head, and a put trims from there: constant work per response.
 *
 * <p>Thread-safe: each tenant's map is guarded by its own lock; no call blocks beyond it, so callers may use it on
 * an event loop.
 */
public final class MemoryResponseStore implements ResponseStore {

    private final ResponsesConfig config;
    private final LongSupplier clock;
    private final Map<String, Tenant> tenants = new ConcurrentHashMap<>();

    /** One tenant's responses, oldest first. Guarded by itself. */
    private static final class Tenant {
        final LinkedHashMap<String, StoredResponse> byId = new LinkedHashMap<>();
        long bytes;
    }

    /**
     * @param config the bounds
     * @param clock  epoch milliseconds (tests move it)
     */
    public MemoryResponseStore(ResponsesConfig config, LongSupplier clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public boolean put(StoredResponse response) {
        if (response.size() > config.maxResponseBytes()) {
            return false;
        }
        Tenant t = tenants.computeIfAbsent(response.tenant(), k -> new Tenant());
        synchronized (t) {
            StoredResponse old = t.byId.remove(response.id());
            if (old != null) {
                t.bytes -= old.size();
            }
            t.byId.put(response.id(), response);
            t.bytes += response.size();
            long now = clock.getAsLong();
            Iterator<StoredResponse> oldest = t.byId.values().iterator();
            while (oldest.hasNext()) {
                StoredResponse r = oldest.next();
                boolean over = t.byId.size() > config.maxResponses() || t.bytes > config.maxBytes();
                if (r != response && (over || r.expiresAt() <= now)) {
                    oldest.remove();
                    t.bytes -= r.size();
                } else if (!over) {
                    break; // the rest are younger and the tenant is within its bounds
                }
            }
        }
        return true;
    }

    @Override
    public CompletableFuture<Optional<StoredResponse>> get(String tenant, String id) {
        Tenant t = tenants.get(tenant);
        if (t == null) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        synchronized (t) {
            StoredResponse r = t.byId.get(id);
            if (r != null && r.expiresAt() <= clock.getAsLong()) {
                t.byId.remove(id);
                t.bytes -= r.size();
                r = null;
            }
            return CompletableFuture.completedFuture(Optional.ofNullable(r));
        }
    }

    @Override
    public CompletableFuture<Boolean> delete(String tenant, String id) {
        Tenant t = tenants.get(tenant);
        if (t == null) {
            return CompletableFuture.completedFuture(false);
        }
        synchronized (t) {
            StoredResponse r = t.byId.remove(id);
            if (r != null) {
                t.bytes -= r.size();
            }
            return CompletableFuture.completedFuture(r != null && r.expiresAt() > clock.getAsLong());
        }
    }

    @Override
    public void close() {
        tenants.clear();
    }

    @Override
    public String toString() {
        return "MemoryResponseStore[" + tenants.size() + " tenants]";
    }
}
