package io.fairlane.gateway.shared;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.http.HttpHandler;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.lane.Rejections;
import io.fairlane.scheduler.Admission;
import io.fairlane.scheduler.RateLimitStatus;
import io.fairlane.scheduler.RateLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;

/**
 * The shared rate-limit decorator, placed inside idempotency (a replayed response costs nothing): before a request
 * of a limited tenant reaches its lane, one request and its estimated tokens are reserved in the shared budget
 * ({@link SharedRateLimiter}); when the request is over, the reservation is settled with the tokens it really used.
 * The lane's own scheduler still applies the same limits to this replica's traffic, so a replica never exceeds a
 * limit on its own; the shared budget is what stops N replicas from admitting N times it.
 *
 * <p>The estimate is the body's bytes over four (a generous prompt estimate for any tokenizer) plus the output the
 * request may ask for ({@code max_completion_tokens}, else {@code max_tokens}, else nothing: what a request without
 * a bound generates is charged when it ends). The reservation runs on a virtual thread; the request continues on
 * its event loop.
 */
public final class SharedRateLimits implements Function<HttpHandler, HttpHandler> {

    private final SharedRateLimiter limiter;

    public SharedRateLimits(SharedRateLimiter limiter) {
        this.limiter = Objects.requireNonNull(limiter, "limiter");
    }

    @Override
    public HttpHandler apply(HttpHandler next) {
        return exchange -> {
            RateLimits limits = exchange.tenant().rateLimits();
            if (!limits.limitsRequests() && !limits.limitsTokens()) {
                next.serve(exchange);
                return;
            }
            Thread.ofVirtual().name("shared-rate-limit").start(() -> {
                SharedRateLimiter.Decision d;
                long estimate;
                try {
                    estimate = limits.limitsTokens() && !exchange.hasStreamedBody() ? estimate(exchange.body()) : 0;
                    d = estimate > limits.tokensPerMinute() && limits.limitsTokens()
                            ? new SharedRateLimiter.Denied(true, Duration.ofMinutes(2), -1, -1)
                            : limiter.reserve(exchange.tenant().id(), limits, estimate);
                } catch (RuntimeException e) {
                    exchange.tryExecute(() -> exchange.fail(e));
                    return;
                }
                long requested = estimate;
                exchange.tryExecute(() -> proceed(next, exchange, limits, d, requested));
            });
        };
    }

    private void proceed(HttpHandler next, Exchange exchange, RateLimits limits, SharedRateLimiter.Decision d,
                         long estimate) {
        if (exchange.isDone()) {
            if (d instanceof SharedRateLimiter.Granted g) {
                settleLater(g, 0);
            }
            return;
        }
        try {
            switch (d) {
                case SharedRateLimiter.Denied denied -> throw Rejections.exception(rejection(limits, denied, estimate),
                        null);
                case SharedRateLimiter.Granted granted -> {
                    exchange.onDone(e -> settleLater(granted, (long) e.log().promptTokens + e.log().completionTokens));
                    next.serve(exchange);
                }
            }
        } catch (Throwable t) {
            exchange.fail(t);
        }
    }

    private void settleLater(SharedRateLimiter.Granted granted, long used) {
        if (granted.limits().limitsTokens() && granted.tokens() != used) {
            Thread.ofVirtual().name("shared-rate-limit-settle").start(() -> limiter.settle(granted, used));
        }
    }

    private static Admission.Rejected<Object> rejection(RateLimits limits, SharedRateLimiter.Denied d, long estimate) {
        RateLimitStatus status = new RateLimitStatus(limits.requestsPerMinute(), Math.max(0, d.remainingRequests()),
                d.tokens() ? Duration.ZERO : d.retryAfter(), limits.tokensPerMinute(),
                Math.max(0, d.remainingTokens()), d.tokens() ? d.retryAfter() : Duration.ZERO);
        if (!d.tokens()) {
            return new Admission.Rejected<>(Admission.Reason.REQUESTS_PER_MINUTE, d.retryAfter(),
                    "requests per minute limit reached (" + limits.requestsPerMinute() + ", shared by all replicas)",
                    status);
        }
        String message = estimate > limits.tokensPerMinute()
                ? "request needs about " + estimate + " tokens (prompt + max output), more than the tokens per minute "
                        + "limit (" + limits.tokensPerMinute() + ")"
                : "tokens per minute limit reached (" + limits.tokensPerMinute() + ", shared by all replicas)";
        return new Admission.Rejected<>(Admission.Reason.TOKENS_PER_MINUTE, d.retryAfter(), message, status);
    }

    /** Body bytes over four, plus the top-level output bound the request asks for. */
    static long estimate(ByteBuf body) {
        long prompt = (body.readableBytes() + 3) / 4;
        long output = 0;
        long fallbackOutput = 0;
        try (JsonParser p = Json.MAPPER.createParser((java.io.InputStream) new ByteBufInputStream(body.duplicate()))) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return prompt;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (v == JsonToken.VALUE_NUMBER_INT && "max_completion_tokens".equals(name)) {
                    output = Math.max(0, p.getLongValue());
                } else if (v == JsonToken.VALUE_NUMBER_INT && "max_tokens".equals(name)) {
                    fallbackOutput = Math.max(0, p.getLongValue());
                } else {
                    p.skipChildren();
                }
            }
        } catch (IOException e) {
            // Not JSON: the lane will answer that; the prompt estimate stands.
        }
        return prompt + (output > 0 ? output : fallbackOutput);
    }
}
