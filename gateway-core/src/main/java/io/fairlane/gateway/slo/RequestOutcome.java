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
     * @param endToEnd          from arrival to the last byte
     * @param timeToFirstToken  when the first generated token was sent; empty for requests that generate no
     *                          tokens (embeddings) or generated none, for which TTFT SLOs do not apply
     * @param interTokenLatency the mean gap between consecutive output tokens; empty with fewer than two
     *                          tokens, for which ITL SLOs do not apply
     * @param queueTime         time spent waiting in the lane's tenant scheduler; empty when the request never
     *                          queued, for which queue-time SLOs do not apply
     */
    record Completed(Duration endToEnd, Optional<Duration> timeToFirstToken, Optional<Duration> interTokenLatency,
                     Optional<Duration> queueTime) implements RequestOutcome {
        public Completed {
            requireNonNegative(endToEnd, "endToEnd");
            Objects.requireNonNull(timeToFirstToken, "timeToFirstToken")
                    .ifPresent(d -> requireNonNegative(d, "timeToFirstToken"));
            Objects.requireNonNull(interTokenLatency, "interTokenLatency")
                    .ifPresent(d -> requireNonNegative(d, "interTokenLatency"));
            Objects.requireNonNull(queueTime, "queueTime").ifPresent(d -> requireNonNegative(d, "queueTime"));
        }

        /** A generation that sent its first token after {@code ttft} and finished after {@code e2e}. */
        public static Completed generation(Duration ttft, Duration e2e) {
            return new Completed(e2e, Optional.of(ttft), Optional.empty(), Optional.empty());
        }

        /** A request that generates no tokens (embeddings), finished after {@code e2e}. */
        public static Completed withoutTokens(Duration e2e) {
            return new Completed(e2e, Optional.empty(), Optional.empty(), Optional.empty());
        }

        public Completed withInterTokenLatency(Duration meanGap) {
            return new Completed(endToEnd, timeToFirstToken, Optional.of(meanGap), queueTime);
        }

        public Completed withQueueTime(Duration waited) {
            return new Completed(endToEnd, timeToFirstToken, interTokenLatency, Optional.of(waited));
        }

        private static void requireNonNegative(Duration duration, String name) {
            Objects.requireNonNull(duration, name);
            if (duration.isNegative()) {
                throw new IllegalArgumentException(name + " must be >= 0, was " + duration);
            }
        }
    }

    /**
     * A request that failed on our side: a server error, an upstream failure, a timeout, or a stream that
     * ended in an error event.
     *
     * @param generatesTokens whether it was a token-generating request (chat, completions), to which TTFT
     *                        and ITL SLOs apply even though no token arrived
     */
    record Failed(boolean generatesTokens) implements RequestOutcome {
    }
}
