package io.fairlane.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The meters of one (tenant, model) pair, looked up once per request and then used directly on the hot
 * path (a token's inter-token latency is one {@code record} call, no registry lookup).
 */
public record RequestMeters(
        Timer timeToFirstToken,
        Timer interTokenLatency,
        Timer e2eLatency,
        Timer queueTime,
        Counter promptTokens,
        Counter cachedTokens,
        Counter completionTokens,
        AtomicInteger inFlight) {

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
}
