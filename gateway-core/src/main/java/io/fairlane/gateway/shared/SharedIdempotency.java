package io.fairlane.gateway.shared;

import io.fairlane.gateway.config.IdempotencyConfig;
import io.fairlane.gateway.idempotency.IdempotencyKeys;
import io.fairlane.gateway.idempotency.IdempotencyStore;
import io.fairlane.gateway.idempotency.StoredResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * {@code Idempotency-Key} claims shared by every replica on the same Redis, so a retry that lands on another replica
 * replays the first attempt's response instead of running again. A key is one Redis hash: the request's fingerprint,
 * its state (running, or done with the stored response) and the token of the replica attempt that owns it. Claiming,
 * storing and abandoning are Lua scripts, so two replicas never both run a key. A running claim is a lease: if its
 * replica dies, the key runs again once the lease ends. Waiters on another replica poll the key until it settles.
 *
 * <p>Per-tenant key and byte bounds of the local store do not apply here: keys expire after the window and Redis's
 * own memory policy bounds the rest. While Redis is unreachable, keys are claimed in this replica's own store
 * (counted in {@code fairlane.shared.state.local.decisions}).
 *
 * <p>Thread-safe; {@link #claim} blocks on Redis, hence {@link #blocking()}.
 */
public final class SharedIdempotency implements IdempotencyKeys {

    private static final String CLAIM = """
            local v = redis.call('HMGET', KEYS[1], 'fp', 'state')
            if not v[1] then
              redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'state', 'run', 'owner', ARGV[2])
              redis.call('PEXPIRE', KEYS[1], ARGV[3])
              return {'run'}
            end
            if v[1] ~= ARGV[1] then return {'conflict'} end
            if v[2] == 'done' then
              local r = redis.call('HMGET', KEYS[1], 'status', 'ctype', 'stream', 'body')
              return {'done', r[1], r[2], r[3], r[4]}
            end
            return {'wait'}
            """;

    private static final String STORE = """
            if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
            redis.call('HSET', KEYS[1], 'state', 'done', 'status', ARGV[2], 'ctype', ARGV[3], 'stream', ARGV[4],
                'body', ARGV[5])
            redis.call('PEXPIRE', KEYS[1], ARGV[6])
            return 1
            """;

    private static final String ABANDON = """
            if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
            redis.call('DEL', KEYS[1])
            return 1
            """;

    private static final Duration MAX_LEASE = Duration.ofMinutes(15);
    private static final long POLL_MILLIS = 50;

    private final RedisLink redis;
    private final IdempotencyStore local;

    /**
     * @param local where keys are claimed while Redis is unreachable
     */
    public SharedIdempotency(RedisLink redis, IdempotencyStore local) {
        this.redis = Objects.requireNonNull(redis, "redis");
        this.local = Objects.requireNonNull(local, "local");
    }

    @Override
    public IdempotencyConfig config() {
        return local.config();
    }

    @Override
    public boolean blocking() {
        return true;
    }

    private Duration lease() {
        Duration window = config().window();
        return window.compareTo(MAX_LEASE) < 0 ? window : MAX_LEASE;
    }

    @Override
    public IdempotencyStore.Claim claim(String tenant, String key, byte[] fingerprint,
                                        Consumer<Optional<StoredResponse>> waiter) {
        String redisKey = redis.key("idem", "{" + tenant + "}", key);
        String fp = HexFormat.of().formatHex(fingerprint);
        String owner = UUID.randomUUID().toString();
        Optional<Object> reply = redis.call(j -> j.eval(CLAIM, List.of(redisKey),
                List.of(fp, owner, Long.toString(lease().toMillis()))));
        if (reply.isEmpty()) {
            redis.countLocalKey();
            return local.claim(tenant, key, fingerprint, waiter);
        }
        List<?> r = (List<?>) reply.get();
        return switch ((String) r.get(0)) {
            case "run" -> new IdempotencyStore.Run(new SharedAttempt(redisKey, owner));
            case "conflict" -> new IdempotencyStore.Conflict();
            case "done" -> new IdempotencyStore.Replay(response(r));
            default -> {
                Thread.ofVirtual().name("idempotency-wait").start(() -> waitFor(redisKey, fp, waiter));
                yield new IdempotencyStore.Wait();
            }
        };
    }

    private static StoredResponse response(List<?> r) {
        return new StoredResponse(Integer.parseInt((String) r.get(1)), (String) r.get(2), "1".equals(r.get(3)),
                Base64.getDecoder().decode((String) r.get(4)));
    }

    /** Polls a key another attempt runs until it is stored (replay it) or gone (claim it again). */
    private void waitFor(String redisKey, String fp, Consumer<Optional<StoredResponse>> waiter) {
        long deadline = System.nanoTime() + lease().toNanos();
        while (System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            Optional<Object> reply = redis.call(j -> j.hmget(redisKey, "fp", "state", "status", "ctype", "stream",
                    "body"));
            if (reply.isEmpty()) {
                break;
            }
            List<?> v = (List<?>) reply.get();
            if (v.get(0) == null || !fp.equals(v.get(0))) {
                break;
            }
            if ("done".equals(v.get(1))) {
                waiter.accept(Optional.of(response(v.subList(1, v.size()))));
                return;
            }
        }
        waiter.accept(Optional.empty());
    }

    /** This replica's first attempt of a shared key. */
    private final class SharedAttempt implements IdempotencyStore.Attempt {
        private final String redisKey;
        private final String owner;

        SharedAttempt(String redisKey, String owner) {
            this.redisKey = redisKey;
            this.owner = owner;
        }

        @Override
        public void store(StoredResponse response) {
            Objects.requireNonNull(response, "response");
            if (response.size() > config().maxResponseBytes()) {
                abandon();
                return;
            }
            String body = Base64.getEncoder().encodeToString(response.bytes());
            Thread.ofVirtual().name("idempotency-store").start(() -> redis.call(j -> j.eval(STORE, List.of(redisKey),
                    List.of(owner, Integer.toString(response.status()), response.contentType(),
                            response.stream() ? "1" : "0", body, Long.toString(config().window().toMillis())))));
        }

        @Override
        public void abandon() {
            Thread.ofVirtual().name("idempotency-abandon").start(() -> redis.call(j -> j.eval(ABANDON,
                    List.of(redisKey), List.of(owner))));
        }
    }
}
