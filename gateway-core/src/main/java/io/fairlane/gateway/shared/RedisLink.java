package io.fairlane.gateway.shared;

import io.fairlane.gateway.config.SharedStateConfig;
import io.fairlane.gateway.metrics.FairlaneMeter;
import io.fairlane.scheduler.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The replica's connection to Redis and its view of whether Redis is reachable. A failed call marks Redis lost
 * (one warning, the fallback gauge at 1); calls are then not tried until {@code retry_interval} has passed, so a
 * dead server costs one timeout per interval instead of one per request. The first call that succeeds again marks
 * it back (one info line, the gauge at 0).
 *
 * <p>Thread-safe: the pool hands each call its own connection; the state is atomics.
 */
public final class RedisLink implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RedisLink.class);

    private final UnifiedJedis jedis;
    private final SharedStateConfig config;
    private final Ticker ticker;
    private final AtomicBoolean lost = new AtomicBoolean();
    private final AtomicLong retryAtNanos = new AtomicLong();
    private final Counter localLimits;
    private final Counter localKeys;
    private final Counter localResponses;

    RedisLink(UnifiedJedis jedis, SharedStateConfig config, Ticker ticker, MeterRegistry registry) {
        this.jedis = Objects.requireNonNull(jedis, "jedis");
        this.config = Objects.requireNonNull(config, "config");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        registerMeters(registry, lost);
        this.localLimits = localCounter(registry, "rate_limit");
        this.localKeys = localCounter(registry, "idempotency_key");
        this.localResponses = localCounter(registry, "stored_response");
    }

    /**
     * Registers the shared-state meters of a replica that shares nothing (gauge and counters at 0), so dashboards
     * and alerts see the same series on every replica.
     */
    public static void registerIdle(MeterRegistry registry) {
        registerMeters(registry, new AtomicBoolean());
        localCounter(registry, "rate_limit");
        localCounter(registry, "idempotency_key");
        localCounter(registry, "stored_response");
    }

    private static void registerMeters(MeterRegistry registry, AtomicBoolean lost) {
        Gauge.builder(FairlaneMeter.SHARED_STATE_FALLBACK.meterName(), lost, b -> b.get() ? 1 : 0)
                .description(FairlaneMeter.SHARED_STATE_FALLBACK.description()).register(registry);
    }

    private static Counter localCounter(MeterRegistry registry, String kind) {
        return Counter.builder(FairlaneMeter.SHARED_STATE_LOCAL_DECISIONS.meterName())
                .description(FairlaneMeter.SHARED_STATE_LOCAL_DECISIONS.description()).tag("kind", kind)
                .register(registry);
    }

    /** Connects (lazily: the pool opens connections on first use) to the server {@code config} names. */
    public static RedisLink open(SharedStateConfig config, Ticker ticker, MeterRegistry registry) {
        URI uri = config.redis().orElseThrow(() -> new IllegalArgumentException("no Redis URL configured"));
        DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder()
                .timeoutMillis((int) Math.max(1, config.timeout().toMillis()))
                .ssl("rediss".equals(uri.getScheme()));
        String path = uri.getPath();
        if (path != null && path.length() > 1) {
            b.database(Integer.parseInt(path.substring(1)));
        }
        String userInfo = uri.getUserInfo();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            if (colon >= 0) {
                if (colon > 0) {
                    b.user(userInfo.substring(0, colon));
                }
                b.password(userInfo.substring(colon + 1));
            } else {
                b.password(userInfo);
            }
        }
        int port = uri.getPort() > 0 ? uri.getPort() : 6379;
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        pool.setMaxTotal(64);
        pool.setMaxIdle(16);
        pool.setMaxWait(config.timeout());
        return new RedisLink(new JedisPooled(new HostAndPort(uri.getHost(), port), b.build(), pool), config, ticker,
                registry);
    }

    public SharedStateConfig config() {
        return config;
    }

    /** Whether the last attempt to reach Redis failed. */
    public boolean lost() {
        return lost.get();
    }

    /**
     * Runs {@code call} against Redis unless Redis is known lost and not due for another try.
     *
     * @return the call's result, or empty when Redis was not reachable (the caller then decides locally)
     */
    <T> Optional<T> call(Function<UnifiedJedis, T> call) {
        if (lost.get() && ticker.nanos() - retryAtNanos.get() < 0) {
            return Optional.empty();
        }
        try {
            T result = call.apply(jedis);
            if (lost.compareAndSet(true, false)) {
                LOG.info("Redis at {} is reachable again: rate limits, idempotency keys and stored responses are "
                        + "shared again", where());
            }
            return Optional.of(result);
        } catch (JedisException e) {
            retryAtNanos.set(ticker.nanos() + config.retryInterval().toNanos());
            if (lost.compareAndSet(false, true)) {
                LOG.warn("Redis at {} is unreachable ({}): deciding rate limits on local buckets at {} of each "
                        + "limit, and keeping idempotency keys and stored responses on this replica alone; retrying "
                        + "every {}", where(), e.getMessage(), config.fallbackShare(), config.retryInterval());
            }
            return Optional.empty();
        }
    }

    void countLocalLimit() {
        localLimits.increment();
    }

    void countLocalKey() {
        localKeys.increment();
    }

    void countLocalResponse() {
        localResponses.increment();
    }

    /** The key {@code parts} name, under the configured prefix. */
    String key(String... parts) {
        return config.keyPrefix() + String.join(":", parts);
    }

    private String where() {
        URI uri = config.redis().orElseThrow();
        return uri.getHost() + ":" + (uri.getPort() > 0 ? uri.getPort() : 6379);
    }

    @Override
    public void close() {
        jedis.close();
    }
}
