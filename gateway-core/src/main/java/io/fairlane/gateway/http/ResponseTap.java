package io.fairlane.gateway.http;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * Sees an exchange's response as it goes out, for features that keep a copy of it (idempotent replay,
 * traffic capture). Called on the exchange's event loop, before the bytes are written; buffers are only
 * valid during the call and must not be consumed (read them with absolute indexes, or copy them).
 * Whatever a tap throws is the tap's fault: it is logged and the response goes out regardless.
 */
public interface ResponseTap {

    /** A complete response (a JSON body or an error): status, every header, the body. */
    void response(int status, HttpHeaders headers, ByteBuf body);

    /** The headers of a {@code text/event-stream} response went out. */
    void streamStarted(HttpHeaders headers);

    /**
     * Events of the stream as written, {@code data: ...\n\n} each (a relay may write several at once):
     * chunks, then either {@code data: [DONE]} (or whatever else ends the stream cleanly) or a final error event.
     */
    void event(ByteBuf event);

    /** The stream ended cleanly: its last bytes were shown to {@link #event} (not called when it failed). */
    default void streamEnded() {
    }
}
