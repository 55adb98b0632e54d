package io.fairlane.scheduler;

/**
 * Per-minute limits on requests and tokens. Zero means "no limit" for that dimension.
 *
 * @param requestsPerMinute requests admitted per rolling minute
 * @param tokensPerMinute   tokens (input plus reserved output) admitted per rolling minute
 */
public record RateLimits(long requestsPerMinute, long tokensPerMinute) {

    public static final RateLimits NONE = new RateLimits(0, 0);

    public RateLimits {
        if (requestsPerMinute < 0 || tokensPerMinute < 0) {
            throw new IllegalArgumentException("rate limits must be >= 0");
        }
    }

    public boolean limitsRequests() {
        return requestsPerMinute > 0;
    }

    public boolean limitsTokens() {
        return tokensPerMinute > 0;
    }
}
