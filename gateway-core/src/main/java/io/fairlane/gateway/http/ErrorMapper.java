package io.fairlane.gateway.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.fairlane.engine.EngineException;
import io.fairlane.scheduler.Admission;
import io.fairlane.scheduler.CostEstimate;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where a throwable becomes an OpenAI-style error. Expected outcomes ({@link ApiException},
 * engine rejections, bad input) map to their 4xx; anything else is a fault: logged with the request id and
 * answered with OpenAI's generic 500, never with internal details.
 */
public final class ErrorMapper {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorMapper.class);

    /** Python gives up retrying past 120 s and Node past 60 s: beyond this a rejection is final. */
    private static final Duration RETRYABLE_HORIZON = Duration.ofSeconds(60);

    private ErrorMapper() {
    }

    public static ApiError map(Throwable t, String requestId) {
        Throwable cause = unwrap(t);
        return switch (cause) {
            case ApiException e -> e.error();
            case EngineException e -> engine(e);
            case JsonProcessingException e -> malformedJson();
            case TooLongHttpLineException e -> new ApiError(414, "The request line is longer than this server accepts.",
                    "invalid_request_error", null, "uri_too_long");
            case TooLongHttpHeaderException e -> new ApiError(431,
                    "The request headers are larger than this server accepts.", "invalid_request_error", null,
                    "request_header_fields_too_large");
            case DecoderException e -> new ApiError(400, "The request is not valid HTTP/1.1.", "invalid_request_error",
                    null, "malformed_request");
            case TimeoutException e -> new ApiError(504, "The request timed out before the model answered.",
                    "server_error", null, "timeout").withHeader("retry-after", "1");
            case ClosedChannelException e -> new ApiError(502, "The connection to the model server closed early.",
                    "server_error", null, "upstream_closed").withHeader("retry-after", "1");
            default -> {
                LOG.error("request {} failed", requestId, cause);
                yield serverError(requestId);
            }
        };
    }

    /** OpenAI's generic 500 wording, with our request id to quote. */
    public static ApiError serverError(String requestId) {
        return new ApiError(500, "The server had an error while processing your request. Sorry about that! "
                + "Quote request id " + requestId + " when you report it.", "server_error", null, null);
    }

    public static ApiError malformedJson() {
        return new ApiError(400, "We could not parse the JSON body of your request. (HINT: This likely means you "
                + "aren't using your HTTP library correctly. The API expects a JSON payload in UTF-8, but what was "
                + "sent was not valid JSON.)", "invalid_request_error", null, null);
    }

    static ApiError engine(EngineException e) {
        return switch (e.kind()) {
            case INVALID_REQUEST -> new ApiError(400, e.getMessage(), "invalid_request_error", e.param(), null);
            case CONTEXT_LENGTH_EXCEEDED -> new ApiError(400, e.getMessage(), "invalid_request_error",
                    e.param() == null ? "messages" : e.param(), "context_length_exceeded");
            case REJECTED -> rejected(e.rejection(), null);
            case UNAVAILABLE -> new ApiError(503, e.getMessage(), "server_error", null, "service_unavailable")
                    .withHeader("retry-after", "1");
            case ABORTED -> new ApiError(499, "The request was cancelled.", "invalid_request_error", null,
                    "request_cancelled");
            case INTERNAL -> {
                LOG.error("engine fault", e);
                yield new ApiError(500, "The server had an error while processing your request. Sorry about that!",
                        "server_error", null, null);
            }
        };
    }

    /**
     * A scheduler rejection as OpenAI phrases a rate limit: 429 {@code rate_limit_exceeded} with
     * {@code retry-after} (whole seconds, rounded up) and {@code retry-after-ms}; or, when retrying cannot
     * help (the request alone is larger than the tenant's token limit, or the wait is beyond what SDKs
     * honour), 429 {@code insufficient_quota} with {@code x-should-retry: false}. A tier the tenant may
     * not use is the client's mistake: 400.
     *
     * @param estimate the request's cost estimate when known (to spot requests larger than a limit)
     */
    public static ApiError rejected(Admission.Rejected<?> r, CostEstimate estimate) {
        ApiError e = rejectedBody(r, estimate);
        io.netty.handler.codec.http.HttpHeaders h = new io.netty.handler.codec.http.DefaultHttpHeaders();
        RateLimitHeaders.apply(h, r.rateLimit());
        for (var header : h) {
            e = e.withHeader(header.getKey(), header.getValue());
        }
        return e;
    }

    private static ApiError rejectedBody(Admission.Rejected<?> r, CostEstimate estimate) {
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

    private static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
