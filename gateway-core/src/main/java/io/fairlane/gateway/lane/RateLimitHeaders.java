package io.fairlane.gateway.lane;

import io.fairlane.scheduler.RateLimitStatus;
import io.netty.handler.codec.http.HttpHeaders;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;

/**
 * The {@code x-ratelimit-*} headers OpenAI sends on every response, from a tenant's
 * {@link RateLimitStatus}. A dimension without a limit (0) sends no headers, as OpenAI does for
 * unlimited ones.
 */
public final class RateLimitHeaders {

    private RateLimitHeaders() {
    }

    public static void apply(HttpHeaders headers, RateLimitStatus s) {
        if (s == null) {
            return;
        }
        if (s.limitRequests() > 0) {
            headers.set("x-ratelimit-limit-requests", Long.toString(s.limitRequests()));
            headers.set("x-ratelimit-remaining-requests", Long.toString(Math.max(0, s.remainingRequests())));
            headers.set("x-ratelimit-reset-requests", format(s.resetRequests()));
        }
        if (s.limitTokens() > 0) {
            headers.set("x-ratelimit-limit-tokens", Long.toString(s.limitTokens()));
            headers.set("x-ratelimit-remaining-tokens", Long.toString(Math.max(0, s.remainingTokens())));
            headers.set("x-ratelimit-reset-tokens", format(s.resetTokens()));
        }
    }

    /**
     * A duration the way OpenAI's headers write it (Go's {@code time.Duration} notation, millisecond
     * precision): {@code 120ms}, {@code 1s}, {@code 8.64s}, {@code 6m0s}, {@code 1h2m3s}.
     */
    public static String format(Duration d) {
        long ms = Math.max(0, (d.toNanos() + 999_999) / 1_000_000);
        if (ms == 0) {
            return "0s";
        }
        if (ms < 1000) {
            return ms + "ms";
        }
        long hours = ms / 3_600_000;
        long minutes = (ms / 60_000) % 60;
        long secMs = ms % 60_000;
        String seconds = BigDecimal.valueOf(secMs, 3).setScale(3, RoundingMode.UNNECESSARY).stripTrailingZeros()
                .toPlainString() + "s";
        if (hours > 0) {
            return hours + "h" + minutes + "m" + seconds;
        }
        if (minutes > 0) {
            return minutes + "m" + seconds;
        }
        return seconds;
    }
}
