package io.fairlane.gateway.shared;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.config.SharedStateConfig;
import io.fairlane.scheduler.RateLimits;
import io.fairlane.scheduler.Ticker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The shared budgets against a real Redis: tokens reserved and settled, two limiters on one budget, Redis lost. */
class SharedRateLimiterTest {

    private RedisServer redis;
    private SharedStateConfig config;
    private RedisLink a;
    private RedisLink b;

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        config = new SharedStateConfig(Optional.of(redis.uri()), Duration.ofMillis(200), "t" + UUID.randomUUID() + ":",
                0.5, Duration.ofMinutes(1));
        a = RedisLink.open(config, Ticker.system(), new SimpleMeterRegistry());
        b = RedisLink.open(config, Ticker.system(), new SimpleMeterRegistry());
    }

    @AfterEach
    void stop() throws Exception {
        a.close();
        b.close();
        redis.close();
    }

    @Test
    void reserve_tokensBeyondTheBudget_areRefusedUntilUnusedOnesAreGivenBack() {
        SharedRateLimiter limiter = new SharedRateLimiter(a, Ticker.system());
        RateLimits limits = new RateLimits(0, 1000);

        SharedRateLimiter.Decision first = limiter.reserve("acme", limits, 600);
        SharedRateLimiter.Decision second = limiter.reserve("acme", limits, 600);
        limiter.settle((SharedRateLimiter.Granted) first, 100);
        SharedRateLimiter.Decision third = limiter.reserve("acme", limits, 600);

        assertThat(first).isInstanceOf(SharedRateLimiter.Granted.class);
        assertThat(second).isInstanceOfSatisfying(SharedRateLimiter.Denied.class, d -> {
            assertThat(d.tokens()).isTrue();
            assertThat(d.retryAfter()).isPositive();
        });
        assertThat(third).isInstanceOfSatisfying(SharedRateLimiter.Granted.class, g -> assertThat(g.shared()).isTrue());
    }

    @Test
    void reserve_twoLimitersOnOneRedis_shareOneRequestBudget() {
        SharedRateLimiter one = new SharedRateLimiter(a, Ticker.system());
        SharedRateLimiter two = new SharedRateLimiter(b, Ticker.system());
        RateLimits limits = new RateLimits(3, 0);

        assertThat(one.reserve("acme", limits, 0)).isInstanceOf(SharedRateLimiter.Granted.class);
        assertThat(two.reserve("acme", limits, 0)).isInstanceOf(SharedRateLimiter.Granted.class);
        assertThat(one.reserve("acme", limits, 0)).isInstanceOf(SharedRateLimiter.Granted.class);
        assertThat(two.reserve("acme", limits, 0)).isInstanceOf(SharedRateLimiter.Denied.class);
        assertThat(one.reserve("other", limits, 0)).isInstanceOf(SharedRateLimiter.Granted.class);
    }

    @Test
    void reserve_redisLost_grantsLocallyUpToTheFallbackShareOnly() throws Exception {
        SharedRateLimiter limiter = new SharedRateLimiter(a, Ticker.system());
        RateLimits limits = new RateLimits(4, 0);
        redis.stop();

        SharedRateLimiter.Decision first = limiter.reserve("acme", limits, 0);
        SharedRateLimiter.Decision second = limiter.reserve("acme", limits, 0);
        SharedRateLimiter.Decision third = limiter.reserve("acme", limits, 0);

        assertThat(first).isInstanceOfSatisfying(SharedRateLimiter.Granted.class, g -> assertThat(g.shared()).isFalse());
        assertThat(second).isInstanceOf(SharedRateLimiter.Granted.class);
        assertThat(third).isInstanceOf(SharedRateLimiter.Denied.class);
        assertThat(a.lost()).isTrue();
    }
}
