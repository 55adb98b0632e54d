package io.fairlane.gateway.http;

import io.netty.buffer.ByteBuf;

/**
 * Rewrites what an endpoint's handler writes into what its client is sent, for an endpoint that serves one API on
 * top of another: {@code /v1/responses} runs a request through the chat completions path unchanged (scheduling,
 * metering, both lanes) and installs a filter that turns the chat completion (its JSON or its chunk stream) into a
 * Responses object or event stream. Without a filter an exchange sends what it is given, chat's way: a stream ends
 * with {@code data: [DONE]} and a mid-stream error is a final {@code data: {"error":...}}.
 *
 * <p>The filter sees 2xx JSON bodies, stream events, the clean end of a stream and every error (whose status,
 * type and message stay, but whose {@code param} may have to be named as the client's API names it). Called on the
 * exchange's event loop; buffers handed in are the filter's to release, buffers handed back are the exchange's.
 * {@link ResponseTap}s see what the filter returns, that is, what the client is sent.
 */
public interface ResponseFilter {

    /** A complete 2xx JSON body, as the client must receive it. */
    ByteBuf body(ByteBuf body);

    /** One or more framed events; what goes to the client instead (may be empty). */
    ByteBuf events(ByteBuf events);

    /** What ends a stream that finished cleanly (instead of {@code data: [DONE]}; may be empty). */
    ByteBuf end();

    /** The final event of a stream that failed after it began (instead of {@code data: {"error":...}}). */
    ByteBuf error(ApiError error);

    /** An error as the client's API names it (by default unchanged), before or during a stream. */
    default ApiError mapError(ApiError error) {
        return error;
    }
}
