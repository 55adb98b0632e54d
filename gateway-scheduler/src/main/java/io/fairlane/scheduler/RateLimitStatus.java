package io.fairlane.scheduler;

import java.time.Duration;

/**
 * A tenant's rate-limit position, for the {@code x-ratelimit-*} response headers. A limit of 0 means the
 * dimension is unlimited; the gateway then omits its headers.
 *
 * @param limitRequests     requests per minute allowed
 * @param remainingRequests requests left in the current window
 * @param resetRequests     time until the request budget is full again
 * @param limitTokens       tokens per minute allowed
 * @param remainingTokens   tokens left in the current window
 * @param resetTokens       time until the token budget is full again
 */
public record RateLimitStatus(
        long limitRequests, long remainingRequests, Duration resetRequests,
        long limitTokens, long remainingTokens, Duration resetTokens) {

    public static final RateLimitStatus UNLIMITED =
            new RateLimitStatus(0, 0, Duration.ZERO, 0, 0, Duration.ZERO);
}
