package io.fairlane.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The meters of one (tenant, model) pair, looked up once per request and then used directly on the hot
 * path (a token's inter-token latency is one {@code record} call, no registry lookup). Thread-safe.
 */
public final class RequestMeters {

    private final Timer timeToFirstToken;
    private final Timer interTokenLatency;
    private final Timer e2eLatency;
    private final Timer queueTime;
    private final Counter promptTokens;
    private final Counter cachedTokens;
    private final Counter completionTokens;
    private final AtomicInteger inFlight;
    /** The request counter this pair used last: nearly every request of a pair ends the same way. */
    private volatile Outcome lastOutcome;

    private record Outcome(String endpoint, int status, Counter counter) {
    }

    RequestMeters(Timer timeToFirstToken, Timer interTokenLatency, Timer e2eLatency, Timer queueTime,
            Counter promptTokens, Counter cachedTokens, Counter completionTokens, AtomicInteger inFlight) {
        this.timeToFirstToken = timeToFirstToken;
        this.interTokenLatency = interTokenLatency;
        this.e2eLatency = e2eLatency;
        this.queueTime = queueTime;
        this.promptTokens = promptTokens;
        this.cachedTokens = cachedTokens;
        this.completionTokens = completionTokens;
        this.inFlight = inFlight;
    }

    public Timer timeToFirstToken() {
        return timeToFirstToken;
    }

    public Timer interTokenLatency() {
        return interTokenLatency;
    }

    public Timer e2eLatency() {
        return e2eLatency;
    }

    public Timer queueTime() {
        return queueTime;
    }

    public AtomicInteger inFlight() {
        return inFlight;
    }

    /** Counts the tokens a request used. */
    public void countTokens(int prompt, int cached, int completion) {
        if (prompt > 0) {
            promptTokens.increment(prompt);
        }
        if (cached > 0) {
            cachedTokens.increment(cached);
        }
        if (completion > 0) {
            completionTokens.increment(completion);
        }
    }

    /** The pair's request counter for (endpoint, status) when it is the one used last, else null. */
    Counter lastRequests(String endpoint, int status) {
        Outcome last = lastOutcome;
        return last != null && last.status == status && last.endpoint.equals(endpoint) ? last.counter : null;
    }

    /** Remembers the counter of (endpoint, status) for {@link #lastRequests}. */
    Counter remember(String endpoint, int status, Counter counter) {
        lastOutcome = new Outcome(endpoint, status, counter);
        return counter;
    }
}
