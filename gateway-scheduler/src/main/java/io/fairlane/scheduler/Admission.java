package io.fairlane.scheduler;

import java.time.Duration;
import java.util.Objects;

/**
 * The answer to {@link TenantScheduler#offer}: the work was queued, or it was rejected with a reason and
 * an estimate of when a retry could succeed.
 *
 * @param <W> the work type
 */
public sealed interface Admission<W> {

    /** The tenant's rate-limit position after this decision, for response headers. */
    RateLimitStatus rateLimit();

    record Queued<W>(Ticket<W> ticket, RateLimitStatus rateLimit) implements Admission<W> {
        public Queued {
            Objects.requireNonNull(ticket, "ticket");
            Objects.requireNonNull(rateLimit, "rateLimit");
        }
    }

    /**
     * @param reason     why
     * @param retryAfter when a retry could plausibly be admitted, estimated from the tenant's queue and
     *                   observed drain rate or the rate-limit window
     * @param message    a sentence for the client
     */
    record Rejected<W>(Reason reason, Duration retryAfter, String message, RateLimitStatus rateLimit)
            implements Admission<W> {
        public Rejected {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(retryAfter, "retryAfter");
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(rateLimit, "rateLimit");
        }
    }

    enum Reason {
        /** The tenant has too many requests queued. */
        QUEUE_FULL,
        /** The tenant has too many tokens queued. */
        QUEUED_TOKENS,
        /** The tenant's requests-per-minute limit is used up. */
        REQUESTS_PER_MINUTE,
        /** The tenant's tokens-per-minute limit is used up (or the request alone exceeds it). */
        TOKENS_PER_MINUTE,
        /** The tenant may not use the requested service tier. */
        TIER_NOT_ALLOWED,
        /** The scheduler knows no tenant of that id. */
        UNKNOWN_TENANT,
        /** The scheduler is shutting down. */
        SHUTTING_DOWN
    }
}
