package io.fairlane.gateway.lane;

import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.scheduler.Admission;
import io.fairlane.scheduler.CostEstimate;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.time.Duration;
import java.util.Map;

/**
 * A tenant scheduler's refusal as OpenAI phrases a rate limit. Both lanes admit through a tenant scheduler (the
 * upstream lane's own, the engine's waiting queue), so both turn its {@link Admission.Rejected} into an HTTP
 * answer here, where the lane meets the scheduler; the HTTP layer only ever sees the resulting
 * {@link ApiError}.
 */
public final class Rejections {

    /** Python gives up retrying past 120 s and Node past 60 s: beyond this a rejection is final. */
    private static final Duration RETRYABLE_HORIZON = Duration.ofSeconds(60);

    private Rejections() {
    }

    /** {@link #toApiError} as an exception to throw. */
    public static ApiException exception(Admission.Rejected<?> r, CostEstimate estimate) {
        return new ApiException(toApiError(r, estimate));
    }

    /**
     * 429 {@code rate_limit_exceeded} with {@code retry-after} (whole seconds, rounded up) and
     * {@code retry-after-ms}; or, when retrying cannot help (the request alone is larger than the tenant's token
     * limit, or the wait is beyond what SDKs honour), 429 {@code insufficient_quota} with
     * {@code x-should-retry: false}. A tier the tenant may not use is the client's mistake: 400. Every answer
     * carries the tenant's {@code x-ratelimit-*} headers.
     *
     * @param estimate the request's cost estimate when known (to spot requests larger than a limit), or null
     */
    public static ApiError toApiError(Admission.Rejected<?> r, CostEstimate estimate) {
        ApiError e = body(r, estimate);
        HttpHeaders h = new DefaultHttpHeaders();
        RateLimitHeaders.apply(h, r.rateLimit());
        for (Map.Entry<String, String> header : h) {
            e = e.withHeader(header.getKey(), header.getValue());
        }
        return e;
    }

    private static ApiError body(Admission.Rejected<?> r, CostEstimate estimate) {
        return switch (r.reason()) {
            case TIER_NOT_ALLOWED -> new ApiError(400, r.message(), "invalid_request_error", "service_tier",
                    "invalid_value");
            case UNKNOWN_TENANT -> new ApiError(401, r.message(), "invalid_request_error", null, "invalid_api_key");
            case SHUTTING_DOWN -> new ApiError(503, r.message(), "server_error", null, "service_unavailable")
                    .withHeader("retry-after", "1");
            case QUEUE_FULL, QUEUED_TOKENS, REQUESTS_PER_MINUTE, TOKENS_PER_MINUTE -> {
                // Without the estimate (the engine admits on its own), a token-limit refusal while the bucket is
                // full can only mean that the request alone is larger than the limit.
                long tokenLimit = r.rateLimit().limitTokens();
                boolean tooLarge = r.reason() == Admission.Reason.TOKENS_PER_MINUTE && tokenLimit > 0
                        && (estimate != null ? estimate.reservedTokens() > tokenLimit
                                : r.rateLimit().remainingTokens() >= tokenLimit);
                if (tooLarge || r.retryAfter().compareTo(RETRYABLE_HORIZON) > 0) {
                    yield new ApiError(429, r.message(), "insufficient_quota", null, "insufficient_quota")
                            .withHeader("x-should-retry", "false");
                }
                long ms = Math.max(1, (r.retryAfter().toNanos() + 999_999) / 1_000_000);
                String type = switch (r.reason()) {
                    case REQUESTS_PER_MINUTE, QUEUE_FULL -> "requests";
                    default -> "tokens";
                };
                yield new ApiError(429, r.message(), type, null, "rate_limit_exceeded")
                        .withHeader("retry-after", Long.toString((ms + 999) / 1000))
                        .withHeader("retry-after-ms", Long.toString(ms));
            }
        };
    }
}
