package io.fairlane.gateway.lane;

import io.fairlane.gateway.http.ApiError;
import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.scheduler.Admission;
import io.fairlane.scheduler.CostEstimate;
import io.fairlane.scheduler.RateLimitStatus;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Scheduler rejections as OpenAI phrases them: retryable rate limits versus quota that retrying cannot fix. */
class RejectionsTest {

    private static Admission.Rejected<Object> tokenLimit(long remaining, Duration retryAfter) {
        return new Admission.Rejected<>(Admission.Reason.TOKENS_PER_MINUTE, retryAfter, "tokens per minute",
                new RateLimitStatus(0, 0, Duration.ZERO, 100, remaining, Duration.ofSeconds(1)));
    }

    @Test
    void rejected_tokenLimitWithFullBucketAndNoEstimate_isInsufficientQuotaNotToBeRetried() {
        ApiError e = Rejections.toApiError(tokenLimit(100, Duration.ZERO), null);

        assertThat(e.code() + " " + e.headers().get("x-should-retry")).isEqualTo("insufficient_quota false");
    }

    @Test
    void rejected_tokenLimitWithRequestLargerThanTheLimit_isInsufficientQuota() {
        ApiError e = Rejections.toApiError(tokenLimit(40, Duration.ofSeconds(1)), new CostEstimate(80, 0, 40));

        assertThat(e.code()).isEqualTo("insufficient_quota");
    }

    @Test
    void rejected_tokenLimitUsedUpForNow_isRateLimitExceededWithRetryAfter() {
        ApiError e = Rejections.toApiError(tokenLimit(10, Duration.ofMillis(1500)), null);

        assertThat(e.code() + " " + e.headers().get("retry-after")).isEqualTo("rate_limit_exceeded 2");
    }
}
