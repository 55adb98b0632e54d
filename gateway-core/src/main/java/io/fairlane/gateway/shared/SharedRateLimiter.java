package io.fairlane.gateway.shared;

import io.fairlane.scheduler.RateLimits;
import io.fairlane.scheduler.Ticker;
import io.fairlane.scheduler.TokenBucket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-tenant requests-per-minute and tokens-per-minute budgets shared by every replica that points at the same
 * Redis. The budgets are the scheduler's continuously refilling buckets ({@link TokenBucket}), kept in Redis hashes
 * and changed only by Lua scripts, which Redis runs one at a time: checking both budgets and taking from them is one
 * atomic step, so two replicas can never both take the last request of a minute. The scripts read the server's
 * clock, so replicas' clocks need not agree.
 *
 * <p>While Redis is unreachable, each replica decides on local buckets holding {@code fallback_share} of each limit
 * (see {@link RedisLink}); reservations taken locally are settled locally.
 *
 * <p>Thread-safe; every method may block on Redis for up to the configured timeout, so none may run on an event
 * loop.
 */
public final class SharedRateLimiter {

    /**
     * Refills both buckets to the server's time, refuses when either lacks what is asked, else takes from both.
     * KEYS: request bucket, token bucket. ARGV: requests per minute, tokens per minute (0: unlimited), tokens to
     * take. Returns {granted (1/0), retry after in ms, remaining requests, remaining tokens, whether the token budget
     * refused (1/0)}.
     */
    private static final String RESERVE = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
            local function level(key, per)
              local v = redis.call('HMGET', key, 'l', 't')
              local l, ts = tonumber(v[1]), tonumber(v[2])
              if l == nil or ts == nil then return per end
              if now > ts then l = l + (now - ts) * per / 60000000 end
              if l > per then l = per end
              return l
            end
            local function put(key, l)
              redis.call('HSET', key, 'l', string.format('%.17g', l), 't', string.format('%.17g', now))
              redis.call('PEXPIRE', key, 120000)
            end
            local rpm, tpm, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
            local rl, tl = 0, 0
            if rpm > 0 then
              rl = level(KEYS[1], rpm)
              if rl < 1 then return {0, math.ceil((1 - rl) * 60000 / rpm), math.floor(rl), -1, 0} end
            end
            if tpm > 0 then
              tl = level(KEYS[2], tpm)
              if tl < n then return {0, math.ceil((n - tl) * 60000 / tpm), math.floor(rl), math.floor(tl), 1} end
            end
            if rpm > 0 then put(KEYS[1], rl - 1) end
            if tpm > 0 then put(KEYS[2], tl - n) end
            return {1, 0, math.floor(rl - 1), math.floor(tl - n)}
            """;

    /**
     * Gives back unused tokens (never above the limit) or charges tokens used beyond the reservation (even into
     * debt). KEYS: token bucket. ARGV: tokens per minute, tokens to give back (negative: to charge).
     */
    private static final String SETTLE = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
            local per, delta = tonumber(ARGV[1]), tonumber(ARGV[2])
            local v = redis.call('HMGET', KEYS[1], 'l', 't')
            local l, ts = tonumber(v[1]), tonumber(v[2])
            if l == nil or ts == nil then l = per; ts = now end
            if now > ts then l = l + (now - ts) * per / 60000000 end
            l = l + delta
            if l > per then l = per end
            redis.call('HSET', KEYS[1], 'l', string.format('%.17g', l), 't', string.format('%.17g', now))
            redis.call('PEXPIRE', KEYS[1], 120000)
            return 1
            """;

    private final RedisLink redis;
    private final Ticker ticker;
    private final Map<String, LocalBuckets> local = new ConcurrentHashMap<>();

    public SharedRateLimiter(RedisLink redis, Ticker ticker) {
        this.redis = Objects.requireNonNull(redis, "redis");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
    }

    /** What {@link #reserve} decided. */
    public sealed interface Decision permits Granted, Denied {
    }

    /**
     * Taken: settle it once the request's usage is known.
     *
     * @param shared whether Redis took it (false: this replica's fallback buckets did)
     */
    public record Granted(String tenant, RateLimits limits, long tokens, boolean shared) implements Decision {
    }

    /**
     * Refused.
     *
     * @param tokens     whether the token budget refused (else the request budget)
     * @param retryAfter when the budget will hold what was asked
     */
    public record Denied(boolean tokens, Duration retryAfter, long remainingRequests, long remainingTokens)
            implements Decision {
    }

    /** Takes one request and {@code tokens} tokens from the tenant's budgets, or says when to retry. */
    public Decision reserve(String tenant, RateLimits limits, long tokens) {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(limits, "limits");
        long take = limits.limitsTokens() ? tokens : 0;
        Optional<Object> reply = redis.call(j -> j.eval(RESERVE, List.of(redis.key("rl", "{" + tenant + "}", "r"),
                redis.key("rl", "{" + tenant + "}", "t")), List.of(Long.toString(limits.requestsPerMinute()),
                Long.toString(limits.tokensPerMinute()), Long.toString(take))));
        if (reply.isPresent()) {
            List<?> r = (List<?>) reply.get();
            if (((Long) r.get(0)) == 1L) {
                return new Granted(tenant, limits, take, true);
            }
            return new Denied((Long) r.get(4) == 1L, Duration.ofMillis((Long) r.get(1)), (Long) r.get(2),
                    (Long) r.get(3));
        }
        redis.countLocalLimit();
        return local.computeIfAbsent(tenant, t -> new LocalBuckets()).reserve(tenant, limits, take);
    }

    /** Gives back what the request did not use of its reservation, or charges what it used beyond it. */
    public void settle(Granted granted, long usedTokens) {
        Objects.requireNonNull(granted, "granted");
        long delta = granted.tokens() - usedTokens;
        if (!granted.limits().limitsTokens() || delta == 0) {
            return;
        }
        if (granted.shared()) {
            Optional<Object> done = redis.call(j -> j.eval(SETTLE,
                    List.of(redis.key("rl", "{" + granted.tenant() + "}", "t")),
                    List.of(Long.toString(granted.limits().tokensPerMinute()), Long.toString(delta))));
            if (done.isPresent()) {
                return;
            }
        }
        local.computeIfAbsent(granted.tenant(), t -> new LocalBuckets()).settle(granted.limits(), delta);
    }

    /** One tenant's fallback buckets, at {@code fallback_share} of each limit. Guarded by its own monitor. */
    private final class LocalBuckets {
        private TokenBucket requests;
        private TokenBucket tokens;

        synchronized Decision reserve(String tenant, RateLimits limits, long take) {
            long now = ticker.nanos();
            resize(limits, now);
            if (requests != null && requests.remaining(now) < 1) {
                return new Denied(false, requests.timeUntil(1, now), requests.remaining(now),
                        tokens == null ? -1 : tokens.remaining(now));
            }
            if (tokens != null && !tokens.tryTake(take, now)) {
                return new Denied(true, tokens.timeUntil(Math.min(take, tokens.perMinute()), now),
                        requests == null ? -1 : requests.remaining(now), tokens.remaining(now));
            }
            if (requests != null) {
                requests.tryTake(1, now);
            }
            return new Granted(tenant, limits, take, false);
        }

        synchronized void settle(RateLimits limits, long delta) {
            long now = ticker.nanos();
            resize(limits, now);
            if (tokens != null) {
                if (delta > 0) {
                    tokens.refund(delta, now);
                } else {
                    tokens.charge(-delta, now);
                }
            }
        }

        private void resize(RateLimits limits, long now) {
            requests = sized(requests, limits.requestsPerMinute(), now);
            tokens = sized(tokens, limits.tokensPerMinute(), now);
        }

        private TokenBucket sized(TokenBucket old, long limit, long now) {
            if (limit <= 0) {
                return null;
            }
            long perMinute = Math.max(1, (long) Math.floor(limit * redis.config().fallbackShare()));
            return old != null && old.perMinute() == perMinute ? old : new TokenBucket(perMinute, now);
        }
    }
}
