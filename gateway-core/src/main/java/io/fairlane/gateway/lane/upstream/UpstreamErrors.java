package io.fairlane.gateway.lane.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.ApiError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;

/**
 * What the client is told when an upstream fails, in OpenAI's shape. An upstream's own error passes through with
 * its status, except 401/403, which are the gateway's credentials' problem (502); failures of the connection
 * itself become 503 (cannot connect), 502 (reset, bad answer) or 504 (timeout), with {@code retry-after} while
 * the response has not begun.
 */
final class UpstreamErrors {

    private UpstreamErrors() {
    }

    /** The upstream's error answer ({@code status}, body {@code node}, may be null), OpenAI-shaped. */
    static ApiError fromUpstream(int status, JsonNode node) {
        JsonNode e = node == null ? null : node.get("error");
        String message;
        String type;
        String param = null;
        String code = null;
        if (e instanceof ObjectNode err) {
            message = err.path("message").isTextual() ? err.get("message").asText() : "The model server returned an error.";
            type = err.path("type").isTextual() ? err.get("type").asText() : status >= 500 ? "server_error"
                    : "invalid_request_error";
            param = err.path("param").isTextual() ? err.get("param").asText() : null;
            code = err.path("code").isTextual() ? err.get("code").asText()
                    : err.path("code").isNumber() ? err.get("code").asText() : null;
        } else if (node != null && "error".equals(node.path("type").asText()) && node.path("message").isTextual()) {
            // The Responses API's error event: {"type": "error", "code", "message", "param"}.
            message = node.get("message").asText();
            type = status >= 500 ? "server_error" : "invalid_request_error";
            param = node.path("param").isTextual() ? node.get("param").asText() : null;
            code = node.path("code").isTextual() ? node.get("code").asText() : null;
        } else if (e != null && e.isTextual()) {
            message = e.asText();
            type = status >= 500 ? "server_error" : "invalid_request_error";
        } else {
            message = "The model server answered HTTP " + status + ".";
            type = status >= 500 ? "server_error" : "invalid_request_error";
        }
        if (status == 401 || status == 403) {
            return new ApiError(502, "The model server refused Fairlane's credentials (HTTP " + status
                    + "); tell the Fairlane administrator.", "server_error", null, "upstream_auth_error")
                    .withHeader("retry-after", "1");
        }
        int mapped = status >= 400 && status <= 599 ? status : 502;
        return new ApiError(mapped, message, type, param, code);
    }

    /**
     * The upstream's final error answer as the client gets it: its {@code retry-after} and {@code retry-after-ms}
     * passed on, and {@code retry-after: 1} added to a 5xx that has none.
     */
    static ApiError finalAnswer(int status, JsonNode node, HttpHeaders upstreamHeaders) {
        ApiError error = fromUpstream(status, node);
        String retryAfter = upstreamHeaders.get("retry-after");
        if (retryAfter != null) {
            error = error.withHeader("retry-after", retryAfter);
        }
        String retryAfterMs = upstreamHeaders.get("retry-after-ms");
        if (retryAfterMs != null) {
            error = error.withHeader("retry-after-ms", retryAfterMs);
        }
        if (status >= 500 && !error.headers().containsKey("retry-after")) {
            error = error.withHeader("retry-after", "1");
        }
        return error;
    }

    /** Every target failed before answering: why the last one did. */
    static ApiError exhausted(String outcome, Throwable cause, boolean beforeHead, String model) {
        if ("timeout".equals(outcome)) {
            return timeout();
        }
        if (cause instanceof ConnectException || "connect_error".equals(outcome)) {
            return new ApiError(503, "The model server for '" + model + "' cannot be reached right now.",
                    "server_error", null, "upstream_unavailable").withHeader("retry-after", "1");
        }
        return new ApiError(502, "The connection to the model server failed "
                + (beforeHead ? "before it answered." : "while it answered."), "server_error", null,
                "upstream_error").withHeader("retry-after", "1");
    }

    static ApiError timeout() {
        return new ApiError(504, "The model server did not answer in time.", "server_error", null, "timeout")
                .withHeader("retry-after", "1");
    }

    static ApiError stalledMidStream() {
        return new ApiError(504, "The model server stopped sending mid-stream.", "server_error", null, "timeout");
    }

    static ApiError lostMidStream() {
        return new ApiError(502, "The connection to the model server was lost mid-stream.", "server_error", null,
                "upstream_disconnected");
    }

    static ApiError unreadable() {
        return new ApiError(502, "The model server sent a response Fairlane could not read.", "server_error", null,
                "upstream_error").withHeader("retry-after", "1");
    }

    /** A stream that ended before {@code [DONE]} with some choice unfinished: cut short, not complete. */
    static ApiError truncated() {
        return new ApiError(502, "The model server ended the stream before the answer was complete (no "
                + "finish_reason and no [DONE]).", "server_error", null, "upstream_truncated")
                .withHeader("retry-after", "1");
    }

    static ApiError tooLarge(long maxBytes) {
        return new ApiError(502, "The model server's answer exceeded " + maxBytes + " bytes, the most Fairlane "
                + "accepts for this model.", "server_error", null, "upstream_output_limit")
                .withHeader("retry-after", "1");
    }

    static ApiError tooMuchOutput(long maxTokens) {
        return new ApiError(502, "The model server sent far more output than the request's limit of " + maxTokens
                + " tokens allows; the answer was cut off.", "server_error", null, "upstream_output_limit")
                .withHeader("retry-after", "1");
    }

    /**
     * A later target refused what the first failing target could have served: the client hears about the first
     * failure (its request is fine), and why the fallback could not help.
     */
    static ApiError fallbackRefused(ApiError first, String fallback, ApiError refusal) {
        return new ApiError(first.status(), first.message() + " Fallback target '" + fallback + "' refused the "
                + "request: " + refusal.message(), first.type(), first.param(), first.code(), first.headers());
    }

    /** Every usable target is throttled for longer than the model waits: the client is told when to come back. */
    static ApiError throttled(String model, long nanos) {
        long seconds = Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
        return new ApiError(429, "Every model server for '" + model + "' asked Fairlane to wait; try again in "
                + seconds + " s.", "server_error", null, "upstream_rate_limited")
                .withHeader("retry-after", Long.toString(seconds))
                .withHeader("retry-after-ms", Long.toString(Math.max(1, nanos / 1_000_000)));
    }

    static ApiError notAnObject() {
        return new ApiError(502, "The model server answered with something other than a JSON object.",
                "server_error", null, "upstream_error").withHeader("retry-after", "1");
    }

    /** {@code buf} as JSON, or null when it is empty or not JSON. */
    static JsonNode parse(ByteBuf buf) {
        if (!buf.isReadable()) {
            return null;
        }
        try (InputStream in = new ByteBufInputStream(buf.duplicate())) {
            return UpstreamJson.MAPPER.readTree(in);
        } catch (IOException e) {
            return null;
        }
    }
}
