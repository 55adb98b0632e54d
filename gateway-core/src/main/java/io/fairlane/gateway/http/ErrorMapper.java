package io.fairlane.gateway.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where a throwable becomes an OpenAI-style error. Expected outcomes ({@link ApiException}, bad
 * JSON, oversized or malformed HTTP) map to their 4xx; anything else is a fault: logged with the request id and
 * answered with OpenAI's generic 500, never with internal details. Scheduler and engine answers are turned into
 * {@link ApiException}s by the lanes, where they meet those modules, so this layer knows neither.
 */
public final class ErrorMapper {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorMapper.class);

    private ErrorMapper() {
    }

    public static ApiError map(Throwable t, String requestId) {
        Throwable cause = unwrap(t);
        return switch (cause) {
            case ApiException e -> e.error();
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

    /**
     * The answer to a request the HTTP decoder could not read, or that the front end refused before its body
     * ({@link FailedRequests}): 413/414/431 for what is too large, the refusal's own error, and otherwise 400
     * {@code malformed_request} naming what was wrong (a bad request line, conflicting {@code Content-Length}s, a
     * bad chunk size), never a 500: these are the client's bytes, not a fault of ours.
     */
    public static ApiError framing(Throwable decoderFailure) {
        Throwable cause = unwrap(decoderFailure);
        return switch (cause) {
            case ApiException e -> e.error();
            case TooLongHttpLineException e -> map(e, null);
            case TooLongHttpHeaderException e -> map(e, null);
            case TooLongFrameException e -> new ApiError(413, "The request body is larger than this server accepts.",
                    "invalid_request_error", null, "request_too_large");
            default -> new ApiError(400, "The request is not valid HTTP/1.1" + reason(cause) + ".",
                    "invalid_request_error", null, "malformed_request");
        };
    }

    /** ": what the decoder said", in printable ASCII and at most 160 characters, or nothing. */
    private static String reason(Throwable cause) {
        String m = cause == null ? null : cause.getMessage();
        if (m == null || m.isBlank()) {
            return "";
        }
        StringBuilder sb = new StringBuilder(Math.min(m.length(), 160) + 2).append(": ");
        for (int i = 0; i < m.length() && sb.length() < 162; i++) {
            char c = m.charAt(i);
            sb.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return sb.toString();
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

    /** {@code t} without the wrappers of asynchronous completion ({@link CompletionException}, ...). */
    public static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
