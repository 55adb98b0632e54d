package io.fairlane.gateway.slo;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How one request ended, as far as SLOs care. The request path reports each request at most once.
 *
 * <p>Which requests are reported is the caller's decision, made once in the request path
 * (the metrics package's {@code SloReporter}): requests the tenant itself got wrong (4xx: bad input, bad key, its own rate limit)
 * are not reported at all, since no SLO promises anything about them; server faults, upstream failures and
 * timeouts are reported as {@link Failed}, which is bad for every SLO that applies; requests whose client
 * left first are reported as {@link Abandoned}, which counts only what was already settled.
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

        static void requireNonNegative(Duration duration, String name) {
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

    /**
     * A request whose client went away before the response ended. Nothing failed on our side, but leaving
     * such requests out entirely would let a slow service hide its misses behind impatient clients (a client
     * that gives up after 10 s on a 500 ms TTFT promise is the clearest miss there is). So a latency SLO
     * judges what was already settled when the client left: a measure already taken (first token, queue
     * time, the mean gap of the tokens sent), or a threshold the wait had already passed, which is bad
     * whatever would have followed. Anything else is not counted, and availability SLOs never count it.
     *
     * @param elapsed           from arrival until the client left
     * @param generatesTokens   whether it was a token-generating request (chat, completions)
     * @param timeToFirstToken  when the first token was sent, if it was
     * @param interTokenLatency the mean gap of the tokens sent, with two or more
     * @param queueTime         time spent in the lane's tenant scheduler, if it left the queue
     */
    record Abandoned(Duration elapsed, boolean generatesTokens, Optional<Duration> timeToFirstToken,
                     Optional<Duration> interTokenLatency, Optional<Duration> queueTime) implements RequestOutcome {
        public Abandoned {
            Completed.requireNonNegative(elapsed, "elapsed");
            Objects.requireNonNull(timeToFirstToken, "timeToFirstToken")
                    .ifPresent(d -> Completed.requireNonNegative(d, "timeToFirstToken"));
            Objects.requireNonNull(interTokenLatency, "interTokenLatency")
                    .ifPresent(d -> Completed.requireNonNegative(d, "interTokenLatency"));
            Objects.requireNonNull(queueTime, "queueTime")
                    .ifPresent(d -> Completed.requireNonNegative(d, "queueTime"));
        }

        /** A request that left after {@code elapsed} with nothing measured yet. */
        public static Abandoned after(Duration elapsed, boolean generatesTokens) {
            return new Abandoned(elapsed, generatesTokens, Optional.empty(), Optional.empty(), Optional.empty());
        }
    }
}
