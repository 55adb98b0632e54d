package io.fairlane.gateway.lane;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.scheduler.RateLimitStatus;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RateLimitHeadersTest {

    @Test
    void format_writesDurationsLikeOpenAi() {
        assertThat(RateLimitHeaders.format(Duration.ofMillis(120))).isEqualTo("120ms");
        assertThat(RateLimitHeaders.format(Duration.ofSeconds(1))).isEqualTo("1s");
        assertThat(RateLimitHeaders.format(Duration.ofMillis(8640))).isEqualTo("8.64s");
        assertThat(RateLimitHeaders.format(Duration.ofMinutes(6))).isEqualTo("6m0s");
        assertThat(RateLimitHeaders.format(Duration.ofSeconds(3723))).isEqualTo("1h2m3s");
    }

    @Test
    void apply_unlimitedDimension_sendsNoHeaders() {
        HttpHeaders h = new DefaultHttpHeaders();
        RateLimitHeaders.apply(h, new RateLimitStatus(0, 0, Duration.ZERO, 100, 40, Duration.ofSeconds(36)));
        assertThat(h.names()).containsExactlyInAnyOrder("x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens",
                "x-ratelimit-reset-tokens");
    }
}
