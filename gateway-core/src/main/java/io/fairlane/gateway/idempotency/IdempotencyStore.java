package io.fairlane.gateway.idempotency;

import io.fairlane.gateway.config.IdempotencyConfig;
import io.fairlane.scheduler.Ticker;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The keys each tenant has used within the window, each with its request's fingerprint and, once the first
 * attempt ended well, its response. Keys of different tenants never meet.
 *
 * <p>Memory is bounded per tenant: at most {@code maxKeys} keys and {@code maxBytes} of stored responses;
 * room is made by forgetting the oldest stored responses first (their keys then run again, which is what
 * an expired key does anyway). Keys still in flight are never forgotten; when a tenant has {@code maxKeys}
 * in flight, a new key is served without idempotency ({@link Untracked}) rather than refused.
 *
 * <p>Thread-safe: each tenant's keys are guarded by that tenant's monitor, held only for map work; waiters
 * are told outside it.
 */
public final class IdempotencyStore implements IdempotencyKeys {

    private final IdempotencyConfig config;
    private final Ticker ticker;
    private final Map<String, TenantKeys> tenants = new ConcurrentHashMap<>();

    public IdempotencyStore(IdempotencyConfig config, Ticker ticker) {
        this.config = Objects.requireNonNull(config, "config");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
    }

    @Override
    public IdempotencyConfig config() {
        return config;
    }

    /** What to do with a request that carries a key. */
    public sealed interface Claim permits Run, Replay, Conflict, Wait, Untracked {
    }

    /** The first attempt: serve it, then {@link Pending#store} its response or {@link Pending#abandon} it. */
    public record Run(Attempt pending) implements Claim {
    }

    /** A key's first attempt, which must end with {@link #store} or {@link #abandon} (once). */
    public interface Attempt {

        /** Keeps {@code response} for the window (unless it is larger than a stored response may be). */
        void store(StoredResponse response);

        /** Forgets the key: the attempt failed, so a retry with it runs again. */
        void abandon();
    }

    /** The key's first attempt ended well: answer with its response. */
    public record Replay(StoredResponse response) implements Claim {
    }

    /** The key was used with another request. */
    public record Conflict() implements Claim {
    }

    /** The key's first attempt is still running: the waiter will be told when it ends. */
    public record Wait() implements Claim {
    }

    /** No room to remember the key: serve the request without idempotency. */
    public record Untracked() implements Claim {
    }

    /**
     * Claims {@code key} for a request with {@code fingerprint}.
     *
     * @param waiter told (on the thread that ends the first attempt) when a {@link Wait} is over: the stored
     *               response, or empty when the first attempt was abandoned and this request should claim again
     */
    @Override
    public Claim claim(String tenant, String key, byte[] fingerprint, Consumer<Optional<StoredResponse>> waiter) {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(waiter, "waiter");
        return tenants.computeIfAbsent(tenant, t -> new TenantKeys()).claim(key, fingerprint, waiter);
    }

    /** Keys a tenant holds now, in flight or stored (for tests and diagnostics). */
    public int keys(String tenant) {
        TenantKeys keys = tenants.get(tenant);
        if (keys == null) {
            return 0;
        }
        synchronized (keys) {
            return keys.entries.size();
        }
    }

    /** Stored response bytes a tenant holds now. */
    public long storedBytes(String tenant) {
        TenantKeys keys = tenants.get(tenant);
        if (keys == null) {
            return 0;
        }
        synchronized (keys) {
            return keys.storedBytes;
        }
    }

    /** A key's first attempt, which must end with {@link #store} or {@link #abandon} (once). */
    public final class Pending implements Attempt {

        private final TenantKeys keys;
        private final String key;
        private final Entry entry;

        private Pending(TenantKeys keys, String key, Entry entry) {
            this.keys = keys;
            this.key = key;
            this.entry = entry;
        }

        @Override
        public void store(StoredResponse response) {
            Objects.requireNonNull(response, "response");
            settle(response.size() <= config.maxResponseBytes() ? response : null);
        }

        @Override
        public void abandon() {
            settle(null);
        }

        private void settle(StoredResponse response) {
            List<Consumer<Optional<StoredResponse>>> waiters = keys.settle(key, entry, response);
            for (Consumer<Optional<StoredResponse>> w : waiters) {
                w.accept(Optional.ofNullable(response));
            }
        }
    }

    /** One key. Guarded by its tenant's monitor. */
    private static final class Entry {
        final byte[] fingerprint;
        StoredResponse response;
        long storedAt;
        List<Consumer<Optional<StoredResponse>>> waiters = new ArrayList<>(0);

        Entry(byte[] fingerprint) {
            this.fingerprint = fingerprint.clone();
        }
    }

    /** One tenant's keys, oldest first (in flight by arrival; stored by the time they were stored). */
    private final class TenantKeys {
        final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
        long storedBytes;

        synchronized Claim claim(String key, byte[] fingerprint, Consumer<Optional<StoredResponse>> waiter) {
            long now = ticker.nanos();
            expire(now);
            Entry e = entries.get(key);
            if (e != null) {
                if (!Arrays.equals(e.fingerprint, fingerprint)) {
                    return new Conflict();
                }
                if (e.response != null) {
                    return new Replay(e.response);
                }
                e.waiters.add(waiter);
                return new Wait();
            }
            if (entries.size() >= config.maxKeys() && !forgetOldestStored()) {
                return new Untracked();
            }
            e = new Entry(fingerprint);
            entries.put(key, e);
            return new Run(new Pending(this, key, e));
        }

        synchronized List<Consumer<Optional<StoredResponse>>> settle(String key, Entry e, StoredResponse response) {
            List<Consumer<Optional<StoredResponse>>> waiters = e.waiters;
            if (waiters == null) {
                throw new IllegalStateException("the attempt of this key has already ended");
            }
            e.waiters = null;
            if (entries.get(key) != e) {
                return waiters;
            }
            entries.remove(key);
            if (response == null) {
                return waiters;
            }
            while (storedBytes + response.size() > config.maxBytes() && forgetOldestStored()) {
                // room is made oldest first
            }
            e.response = response;
            e.storedAt = ticker.nanos();
            storedBytes += response.size();
            entries.put(key, e);
            return waiters;
        }

        /** Drops stored responses older than the window; they are in storage order, so the scan stops early. */
        private void expire(long now) {
            long window = config.window().toNanos();
            Iterator<Entry> it = entries.values().iterator();
            while (it.hasNext()) {
                Entry e = it.next();
                if (e.response == null) {
                    continue;
                }
                if (now - e.storedAt < window) {
                    return;
                }
                storedBytes -= e.response.size();
                it.remove();
            }
        }

        private boolean forgetOldestStored() {
            Iterator<Entry> it = entries.values().iterator();
            while (it.hasNext()) {
                Entry e = it.next();
                if (e.response != null) {
                    storedBytes -= e.response.size();
                    it.remove();
                    return true;
                }
            }
            return false;
        }
    }
}
