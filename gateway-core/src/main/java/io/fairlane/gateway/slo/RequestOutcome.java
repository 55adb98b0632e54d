package io.fairlane.gateway.slo;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How one request ended, as far as SLOs care. The request path reports each request at most once.
 *
 * <p>Which requests are reported is the caller's decision, made once in the request path: requests the
 * tenant itself got wrong (4xx: bad input, bad key, its own rate limit) are not reported at all, since no
 * SLO promises anything about them; server faults, upstream failures and timeouts are reported as
 * {@link Failed}, which is bad for every SLO that applies.
 */
public sealed interface RequestOutcome {

    /**
     * A request that was answered.
     *
     * @param timeToFirstToken when the first generated token was sent; empty for requests that generate no
     *                         tokens (embeddings) or generated none, for which TTFT SLOs do not apply
     * @param endToEnd         from arrival to the last byte
     */
    record Completed(Optional<Duration> timeToFirstToken, Duration endToEnd) implements RequestOutcome {
        public Completed {
            Objects.requireNonNull(timeToFirstToken, "timeToFirstToken");
            Objects.requireNonNull(endToEnd, "endToEnd");
            if (endToEnd.isNegative()) {
                throw new IllegalArgumentException("endToEnd must be >= 0, was " + endToEnd);
            }
            if (timeToFirstToken.isPresent() && timeToFirstToken.get().isNegative()) {
                throw new IllegalArgumentException("timeToFirstToken must be >= 0, was " + timeToFirstToken.get());
            }
        }

        /** A generation that streamed its first token after {@code ttft} and finished after {@code e2e}. */
        public static Completed generation(Duration ttft, Duration e2e) {
            return new Completed(Optional.of(ttft), e2e);
        }

        /** A request that generates no tokens (embeddings), finished after {@code e2e}. */
        public static Completed withoutTokens(Duration e2e) {
            return new Completed(Optional.empty(), e2e);
        }
    }

    /**
     * A request that failed on our side: a server error, an upstream failure, a timeout, or a stream that
     * ended in an error event.
     *
     * @param generatesTokens whether it was a token-generating request (chat, completions), to which TTFT
     *                        SLOs apply even though no token arrived
     */
    record Failed(boolean generatesTokens) implements RequestOutcome {
    }
}
