package io.fairlane.gateway.shared;

import io.fairlane.gateway.config.ResponsesConfig;
import io.fairlane.gateway.responses.ResponseStore;
import io.fairlane.gateway.responses.StoredResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Stored responses ({@code POST /v1/responses} with {@code store}) shared by every replica on the same Redis, so that
 * {@code GET /v1/responses/{id}} and {@code previous_response_id} work whichever replica the load balancer picks.
 *
 * <h2>Layout</h2>
 * Per tenant, under the configured prefix and the tenant as a hash tag (one cluster slot per tenant): a hash per
 * response ({@code resp:{tenant}:<id>}: model, created, expires, response, items), an index of the tenant's ids by
 * creation time ({@code resp-index:{tenant}}) and each one's size with the running total ({@code resp-size:{tenant}}).
 * A put is one Lua script: it writes the response and trims the tenant's oldest (expired, or over the count or byte
 * bound) in the same step, as the local stores do. Every key carries a time to live, so an idle tenant's leftovers
 * go by themselves.
 *
 * <h2>Reads see writes at once</h2>
 * A put never blocks: it goes to Redis on the store's own virtual threads, and until Redis has it the response waits
 * in a small map of pending writes that this replica's reads look at first. Another replica finds it once the write
 * lands, a fraction of a millisecond after the response completed (a read that misses is tried once more after
 * {@link #RETRY_MILLIS}, which covers a client continuing on another replica at once).
 *
 * <h2>Without Redis</h2>
 * While Redis is unreachable, puts go to this replica's own store ({@code local}, counted in
 * {@code fairlane.shared.state.local.decisions} with kind {@code stored_response}); reads that Redis cannot answer,
 * or does not know, look there too, so responses stored during an outage stay reachable on the replica that stored
 * them. Deletes go to both.
 *
 * <p>Thread-safe.
 */
public final class SharedResponseStore implements ResponseStore {

    /** How long a read that found nothing waits before asking Redis once more. */
    static final long RETRY_MILLIS = 50;

    private static final String PUT = """
            local old = redis.call('HGET', KEYS[3], ARGV[1])
            redis.call('HSET', KEYS[1], 'model', ARGV[9], 'created', ARGV[2], 'expires', ARGV[3],
                'response', ARGV[10], 'items', ARGV[11])
            redis.call('PEXPIRE', KEYS[1], ARGV[5])
            redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
            redis.call('HSET', KEYS[3], ARGV[1], ARGV[4])
            local total = redis.call('HINCRBY', KEYS[3], '#total', tonumber(ARGV[4]) - (old and tonumber(old) or 0))
            local now = tonumber(ARGV[8])
            while true do
              local oldest = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
              if not oldest or oldest == ARGV[1] then break end
              local key = ARGV[12] .. oldest
              local expires = redis.call('HGET', key, 'expires')
              local over = redis.call('ZCARD', KEYS[2]) > tonumber(ARGV[6]) or total > tonumber(ARGV[7])
              if not over and expires and tonumber(expires) > now then break end
              redis.call('DEL', key)
              redis.call('ZREM', KEYS[2], oldest)
              local size = redis.call('HGET', KEYS[3], oldest)
              redis.call('HDEL', KEYS[3], oldest)
              total = redis.call('HINCRBY', KEYS[3], '#total', -(size and tonumber(size) or 0))
            end
            redis.call('PEXPIRE', KEYS[2], ARGV[5])
            redis.call('PEXPIRE', KEYS[3], ARGV[5])
            return 1
            """;

    private static final String DELETE = """
            local existed = redis.call('DEL', KEYS[1])
            redis.call('ZREM', KEYS[2], ARGV[1])
            local size = redis.call('HGET', KEYS[3], ARGV[1])
            if size then
              redis.call('HDEL', KEYS[3], ARGV[1])
              redis.call('HINCRBY', KEYS[3], '#total', -tonumber(size))
            end
            return existed
            """;

    private static final byte[][] FIELDS = {bytes("model"), bytes("created"), bytes("expires"), bytes("response"),
            bytes("items")};

    private record Key(String tenant, String id) {
    }

    private final RedisLink redis;
    private final ResponseStore local;
    private final ResponsesConfig config;
    private final LongSupplier clock;
    private final Map<Key, StoredResponse> pending = new ConcurrentHashMap<>();
    /** Per tenant, the last write to Redis not yet done. */
    private final Map<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();
    private final ExecutorService io = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("shared-responses-", 0).factory());

    /**
     * @param local  where responses go, and are looked for, while Redis is unreachable
     * @param config the per-tenant bounds and time to live
     * @param clock  epoch milliseconds (tests move it); Redis's own expiry is set relative to it
     */
    public SharedResponseStore(RedisLink redis, ResponseStore local, ResponsesConfig config, LongSupplier clock) {
        this.redis = Objects.requireNonNull(redis, "redis");
        this.local = Objects.requireNonNull(local, "local");
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public boolean put(StoredResponse response) {
        if (response.size() > config.maxResponseBytes()) {
            return false;
        }
        long ttl = response.expiresAt() - clock.getAsLong();
        if (ttl <= 0) {
            return true; // already expired: nothing anyone could read back
        }
        Key key = new Key(response.tenant(), response.id());
        pending.put(key, response);
        // One tenant's writes land in the order they were made (a replaced id, the bounds' trimming).
        CompletableFuture<Void> write = tails.compute(response.tenant(), (t, tail) -> (tail == null
                ? CompletableFuture.<Void>completedFuture(null) : tail.exceptionally(e -> null))
                .thenRunAsync(() -> write(key, response, ttl), io));
        write.whenComplete((v, t) -> tails.remove(response.tenant(), write));
        return true;
    }

    private void write(Key key, StoredResponse r, long ttl) {
        String tenant = "{" + r.tenant() + "}";
        Optional<Object> reply = redis.call(j -> j.eval(bytes(PUT), List.of(bytes(responseKey(tenant, r.id())),
                bytes(redis.key("resp-index", tenant)), bytes(redis.key("resp-size", tenant))), List.of(
                bytes(r.id()), number(r.createdAt()), number(r.expiresAt()), number(r.size()), number(ttl),
                number(config.maxResponses()), number(config.maxBytes()), number(clock.getAsLong()), bytes(r.model()),
                r.response(), r.items(), bytes(redis.key("resp", tenant) + ":"))));
        if (reply.isEmpty()) {
            redis.countLocalResponse();
            local.put(r);
        }
        pending.remove(key, r);
    }

    @Override
    public CompletableFuture<Optional<StoredResponse>> get(String tenant, String id) {
        StoredResponse mine = pending.get(new Key(tenant, id));
        if (mine != null) {
            return CompletableFuture.completedFuture(live(mine));
        }
        return CompletableFuture.supplyAsync(() -> read(tenant, id), io).thenCompose(found -> {
            if (found == null) {
                return local.get(tenant, id); // Redis unreachable, or stored here while it was
            }
            return CompletableFuture.completedFuture(found);
        });
    }

    /** What Redis holds for the id (asked twice when the first answer is "nothing"), or null if Redis is lost. */
    private Optional<StoredResponse> read(String tenant, String id) {
        Optional<Optional<StoredResponse>> first = fetch(tenant, id);
        if (first.isPresent() && first.get().isEmpty()) {
            try {
                Thread.sleep(RETRY_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return first.get();
            }
            first = fetch(tenant, id);
        }
        if (first.isEmpty() || first.get().isEmpty()) {
            return null;
        }
        return first.get();
    }

    private Optional<Optional<StoredResponse>> fetch(String tenant, String id) {
        byte[] key = bytes(responseKey("{" + tenant + "}", id));
        return redis.call(j -> j.hmget(key, FIELDS)).map(v -> {
            if (v.get(0) == null) {
                return Optional.<StoredResponse>empty();
            }
            StoredResponse r = new StoredResponse(tenant, id, text(v.get(0)), Long.parseLong(text(v.get(1))),
                    Long.parseLong(text(v.get(2))), v.get(3), v.get(4));
            return live(r);
        });
    }

    private Optional<StoredResponse> live(StoredResponse r) {
        return r.expiresAt() > clock.getAsLong() ? Optional.of(r) : Optional.empty();
    }

    @Override
    public CompletableFuture<Boolean> delete(String tenant, String id) {
        Key key = new Key(tenant, id);
        CompletableFuture<Void> write = tails.getOrDefault(tenant, CompletableFuture.completedFuture(null));
        boolean wasPending = pending.remove(key) != null;
        CompletableFuture<Boolean> shared = write.exceptionally(t -> null).thenApplyAsync(v -> {
            String t = "{" + tenant + "}";
            return redis.call(j -> j.eval(DELETE, List.of(responseKey(t, id), redis.key("resp-index", t),
                    redis.key("resp-size", t)), List.of(id))).map(n -> ((Long) n) > 0).orElse(false);
        }, io);
        return shared.thenCombine(local.delete(tenant, id), (a, b) -> a || b || wasPending);
    }

    private String responseKey(String taggedTenant, String id) {
        return redis.key("resp", taggedTenant, id);
    }

    @Override
    public void flush() {
        List.copyOf(tails.values()).forEach(w -> w.exceptionally(t -> null).join());
        local.flush();
    }

    @Override
    public void close() {
        io.shutdown();
        try {
            io.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        local.close();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] number(long n) {
        return bytes(Long.toString(n));
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
