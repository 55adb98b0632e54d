package io.fairlane.gateway.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an {@link Exchange} passes its output through before it goes out: at most one {@link ResponseFilter} (an
 * endpoint serving one API on top of another rewrites bodies, events and errors) and the {@link ResponseTap}s that
 * keep copies (idempotent replay, traffic capture). Kept apart from the exchange, which owns the response's state;
 * a tap that throws is logged and never breaks the response.
 *
 * <p>Confined to the exchange's event loop.
 */
final class OutputHooks {

    private static final Logger LOG = LoggerFactory.getLogger(OutputHooks.class);

    private final String requestId;
    private final List<ResponseTap> taps = new ArrayList<>(0);
    private ResponseFilter filter;

    OutputHooks(String requestId) {
        this.requestId = requestId;
    }

    void tap(ResponseTap tap) {
        taps.add(Objects.requireNonNull(tap, "tap"));
    }

    void filter(ResponseFilter f) {
        this.filter = Objects.requireNonNull(f, "f");
    }

    /** A complete body as the client gets it: filtered when it is a success, else as it is. */
    ByteBuf body(int status, ByteBuf body) {
        return filter != null && status < 300 ? filter.body(body) : body;
    }

    /** Framed events as the client gets them (may be empty: the caller releases it then). */
    ByteBuf events(ByteBuf events) {
        return filter != null ? filter.events(events) : events;
    }

    /** The end of a clean stream: the filter's, or {@code plain}'s. */
    ByteBuf end(Supplier<ByteBuf> plain) {
        return filter != null ? filter.end() : plain.get();
    }

    /** An error as the client's API names it. */
    ApiError mapError(ApiError e) {
        return filter != null ? filter.mapError(e) : e;
    }

    /** The final event of a stream that failed after it began. */
    ByteBuf errorEvent(ByteBufAllocator alloc, ApiError e) {
        return filter != null ? filter.error(e) : Json.sseEvent(alloc, e.toJson());
    }

    void response(int status, HttpHeaders headers, ByteBuf body) {
        each(t -> t.response(status, headers, body));
    }

    void streamStarted(HttpHeaders headers) {
        each(t -> t.streamStarted(headers));
    }

    void event(ByteBuf event) {
        each(t -> t.event(event));
    }

    void streamEnded() {
        each(ResponseTap::streamEnded);
    }

    private void each(Consumer<ResponseTap> call) {
        for (ResponseTap t : taps) {
            try {
                call.accept(t);
            } catch (RuntimeException e) {
                LOG.warn("a response tap of request {} failed", requestId, e);
            }
        }
    }
}
