package io.fairlane.gateway.http;

import io.fairlane.gateway.config.TenantConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP request and its response, from the moment its body is complete until the last response byte
 * is handed to the socket (or the client goes away).
 *
 * <p>A response is either one JSON body ({@link #respond}) or a server-sent event stream
 * ({@link #startStream}, {@link #sendEvent}, {@link #endStream}). {@link #fail} turns any throwable into
 * the OpenAI error body, or, once a stream has begun, into a final {@code data: {"error":...}} event
 * followed by closing the connection (a client cannot otherwise tell a cut stream from a finished one). A
 * {@link ResponseFilter} may rewrite all of it for an endpoint that serves one API on top of another.
 * Every response carries {@code x-request-id} and {@code openai-processing-ms}. {@link ResponseTap}s see the
 * response as it goes out (idempotent replay and traffic capture keep copies through them).
 *
 * <p>Confined to the channel's event loop: every method must be called there ({@link #execute} hops to
 * it). Work that finishes on another thread (an engine, an upstream on another loop) must hop first.
 */
public final class Exchange {

    private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);
    private static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
    private static final AsciiString PROCESSING_MS = AsciiString.cached("openai-processing-ms");
    private static final AsciiString EVENT_STREAM = AsciiString.cached("text/event-stream; charset=utf-8");
    private static final AsciiString APPLICATION_JSON = AsciiString.cached("application/json");
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private enum State { OPEN, STREAMING, DONE }

    private final Channel channel;
    private final FullHttpRequest request;
    private final String requestId;
    private final long startNanos;
    private final ServerState server;
    private final boolean keepAliveRequested;
    private HttpHeaders responseHeaders;
    private final RequestLog log = new RequestLog();
    private final EndListeners listeners;
    private final OutputHooks hooks;
    private State state = State.OPEN;
    private final RequestBody streamedBody;
    private boolean continueSent;
    private boolean rawBody;
    private boolean keepAlive;
    private TenantConfig tenant;

    Exchange(Channel channel, FullHttpRequest request, String requestId, ServerState server, boolean keepAlive) {
        this(channel, request, requestId, server, keepAlive, null);
    }

    /** An exchange whose body arrives through {@code streamedBody} (a streaming route) instead of whole. */
    Exchange(Channel channel, FullHttpRequest request, String requestId, ServerState server, boolean keepAlive,
             RequestBody streamedBody) {
        this.streamedBody = streamedBody;
        this.channel = Objects.requireNonNull(channel, "channel");
        this.request = Objects.requireNonNull(request, "request");
        this.requestId = Objects.requireNonNull(requestId, "requestId");
        this.hooks = new OutputHooks(this.requestId);
        this.listeners = new EndListeners(this.requestId);
        this.server = Objects.requireNonNull(server, "server");
        this.startNanos = System.nanoTime();
        this.keepAliveRequested = keepAlive;
        server.requestStarted();
    }

    public String requestId() {
        return requestId;
    }

    public HttpMethod method() {
        return request.method();
    }

    /** The request target as received: path and query. */
    public String uri() {
        return request.uri();
    }

    /** The request path without the query string. */
    public String path() {
        String uri = request.uri();
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    public HttpHeaders requestHeaders() {
        return request.headers();
    }

    /** The complete request body; valid until the exchange ends. Empty on a streaming route: see {@link #requestBody}. */
    public ByteBuf body() {
        return request.content();
    }

    /**
     * The body of a request on a streaming route, arriving as it is read from the socket. The first call tells a
     * client that asked with {@code Expect: 100-continue} to send it.
     *
     * @throws IllegalStateException on a route whose bodies arrive whole
     */
    public RequestBody requestBody() {
        if (streamedBody == null) {
            throw new IllegalStateException("not a streaming route: " + path());
        }
        if (!continueSent && state == State.OPEN && HttpUtil.is100ContinueExpected(request)) {
            continueSent = true;
            channel.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER, Headers.OUTGOING, Headers.NO_TRAILERS));
        }
        return streamedBody;
    }

    /** Whether the request's body is streamed ({@link #requestBody}) rather than whole. */
    public boolean hasStreamedBody() {
        return streamedBody != null;
    }

    /** Headers added to whatever response this exchange sends (rate-limit headers, ...). */
    public HttpHeaders responseHeaders() {
        if (responseHeaders == null) {
            responseHeaders = Headers.OUTGOING.newHeaders();
        }
        return responseHeaders;
    }

    public RequestLog log() {
        return log;
    }

    /** The authenticated tenant; null before authentication or on unauthenticated routes. */
    public TenantConfig tenant() {
        return tenant;
    }

    public void authenticate(TenantConfig t) {
        this.tenant = Objects.requireNonNull(t, "t");
        log.tenant = t.id();
    }

    public long startNanos() {
        return startNanos;
    }

    public Channel channel() {
        return channel;
    }

    public EventLoop eventLoop() {
        return channel.eventLoop();
    }

    public ByteBufAllocator alloc() {
        return channel.alloc();
    }

    /** Runs {@code task} on this exchange's event loop. */
    public void execute(Runnable task) {
        channel.eventLoop().execute(task);
    }

    /**
     * Runs {@code task} on this exchange's event loop, for work finishing on another thread (an engine, the
     * preparation pool); false, and {@code task} never runs, when the loop no longer takes tasks because the server
     * is stopping, in which case the exchange goes with it.
     */
    public boolean tryExecute(Runnable task) {
        try {
            channel.eventLoop().execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    public boolean isDone() {
        return state == State.DONE;
    }

    public boolean isStreaming() {
        return state == State.STREAMING;
    }

    /** Whether the response has started (a stream's headers went out) or ended. */
    public boolean isCommitted() {
        return state != State.OPEN;
    }

    /** Called once if the client goes away before the response ended: cancel the work behind it. */
    public void onClientGone(Runnable listener) {
        listeners.onClientGone(listener);
    }

    /** Called once when the exchange ends, however it ends. */
    public void onDone(Consumer<Exchange> listener) {
        listeners.onDone(listener);
    }

    /**
     * Called once when the response has ended or the client has left, before the done listeners read the
     * request's {@link #log()}: where work that settles what the request used writes it down, whichever way the
     * request ended.
     */
    public void onEnding(Runnable listener) {
        listeners.onEnding(listener);
    }

    /**
     * Keeps the done listeners (access log, metrics, SLOs) waiting, once the exchange has ended, until the work
     * behind it has reported what it used: a local generation whose client left is still running until the engine
     * acts on the abort, and only then says how many tokens it generated. Returns the release (idempotent). The
     * response itself, the request's buffers and the in-flight count are not held; only the bookkeeping waits, and
     * at most {@value #SETTLEMENT_WAIT_MILLIS} ms after the end.
     */
    public Runnable holdSettlement() {
        return listeners.holdSettlement();
    }

    /** How long an ended exchange waits for held settlements before its done listeners run anyway. */
    static final long SETTLEMENT_WAIT_MILLIS = 5_000;

    /** Shows {@code tap} the response from here on (add it before anything is sent). */
    public void tap(ResponseTap tap) {
        hooks.tap(tap);
    }

    /**
     * Rewrites everything this exchange sends from here on through {@code f} (an endpoint that serves one API on
     * top of another; see {@link ResponseFilter}). Install it before the response begins.
     */
    public void filter(ResponseFilter f) {
        if (state != State.OPEN) {
            throw new IllegalStateException("response already started for " + requestId);
        }
        hooks.filter(f);
    }

    /** Marks the first output token (TTFT) or a later one (inter-token latency); returns the gap or -1. */
    public long markToken() {
        return log.markToken(System.nanoTime(), startNanos);
    }

    /** Whether the client's socket accepts more output without queueing beyond Netty's high-water mark. */
    public boolean isWritable() {
        return channel.isWritable();
    }

    /** Bytes written to this connection and not yet accepted by the kernel. */
    public long pendingOutputBytes() {
        ChannelOutboundBuffer buf = channel.unsafe().outboundBuffer();
        return buf == null ? 0 : buf.totalPendingWriteBytes();
    }

    /** Sends a complete JSON response. */
    public void respond(HttpResponseStatus status, ByteBuf body) {
        respond(status, body, APPLICATION_JSON);
    }

    public void respond(HttpResponseStatus status, ByteBuf body, CharSequence contentType) {
        if (state != State.OPEN) {
            body.release();
            throw new IllegalStateException("response already started for " + requestId);
        }
        body = hooks.body(status.code(), body);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body, Headers.OUTGOING,
                Headers.NO_TRAILERS);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        commonHeaders(r.headers());
        state = State.DONE;
        log.status = status.code();
        hooks.response(status.code(), r.headers(), r.content());
        ChannelFuture f = channel.writeAndFlush(r);
        closeUnlessKeptAlive(f);
        finish();
    }

    /** Sends the headers of a {@code text/event-stream} response, flushed at once. */
    public void startStream() {
        startStream(true);
    }

    /**
     * Starts a {@code text/event-stream} response; with {@code flush} false the head waits in the outbound
     * buffer for the next flush, for a caller that writes events straight after it ({@link #writeEvent}).
     */
    public void startStream(boolean flush) {
        if (state != State.OPEN) {
            throw new IllegalStateException("response already started for " + requestId);
        }
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Headers.OUTGOING);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, EVENT_STREAM);
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        HttpUtil.setTransferEncodingChunked(r, true);
        commonHeaders(r.headers());
        state = State.STREAMING;
        log.status = 200;
        log.stream = true;
        hooks.streamStarted(r.headers());
        if (flush) {
            channel.writeAndFlush(r);
        } else {
            channel.write(r);
        }
    }

    /** Writes one already-framed event ({@code data: ...\n\n}); the future completes when it is on the wire. */
    public ChannelFuture sendEvent(ByteBuf event) {
        return writeEvent(event, true);
    }

    /**
     * Writes one already-framed event without flushing it. A relay that gets several events from one read
     * writes them all and then calls {@link #flush} once: one system call instead of one per event, and no
     * event waits longer than it would have (they all arrived together).
     */
    public ChannelFuture writeEvent(ByteBuf event) {
        return writeEvent(event, false);
    }

    /** Flushes what {@link #writeEvent} and {@link #startStream(boolean)} left in the outbound buffer. */
    public void flush() {
        channel.flush();
    }

    private ChannelFuture writeEvent(ByteBuf event, boolean flush) {
        if (state != State.STREAMING) {
            event.release();
            return channel.newFailedFuture(new IllegalStateException("no stream open for " + requestId));
        }
        event = hooks.events(event);
        if (!event.isReadable()) {
            event.release();
            if (flush) {
                channel.flush();
            }
            return channel.newSucceededFuture();
        }
        hooks.event(event);
        DefaultHttpContent content = new DefaultHttpContent(event);
        return flush ? channel.writeAndFlush(content) : channel.write(content);
    }

    /**
     * Starts a plain (not event-stream) response whose body follows in pieces ({@link #writeBody}, {@link #endBody}):
     * a file's content, streamed from storage. With a known {@code contentLength} the body is sent as is, else
     * chunked. A failure after this point cannot become an error body: the connection is closed, so the client sees
     * a short body instead of a complete one.
     */
    public void startBody(HttpResponseStatus status, CharSequence contentType, long contentLength) {
        if (state != State.OPEN) {
            throw new IllegalStateException("response already started for " + requestId);
        }
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status, Headers.OUTGOING);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        if (contentLength >= 0) {
            r.headers().set(HttpHeaderNames.CONTENT_LENGTH, contentLength);
        } else {
            HttpUtil.setTransferEncodingChunked(r, true);
        }
        commonHeaders(r.headers());
        state = State.STREAMING;
        rawBody = true;
        log.status = status.code();
        channel.write(r);
    }

    /** Writes a piece of a body begun with {@link #startBody}; the future completes when the socket took it. */
    public ChannelFuture writeBody(ByteBuf piece) {
        if (state != State.STREAMING || !rawBody) {
            piece.release();
            return channel.newFailedFuture(new IllegalStateException("no body open for " + requestId));
        }
        return channel.writeAndFlush(new DefaultHttpContent(piece));
    }

    /** Ends a body begun with {@link #startBody}. */
    public void endBody() {
        if (state != State.STREAMING || !rawBody) {
            return;
        }
        state = State.DONE;
        ChannelFuture f = channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        closeUnlessKeptAlive(f);
        finish();
    }

    /** Writes {@code data: [DONE]} (or what the {@link ResponseFilter} ends a stream with) and ends the response. */
    public void endStream() {
        if (state != State.STREAMING) {
            return;
        }
        ByteBuf last;
        try {
            last = hooks.end(() -> Unpooled.wrappedBuffer(DONE));
        } catch (RuntimeException e) {
            fail(e);
            return;
        }
        endStream(last);
    }

    /**
     * Ends the stream with {@code last} as its final bytes, exactly as given (a replay of a stored stream, whose
     * stored events already hold its end).
     */
    public void endStream(ByteBuf last) {
        if (state != State.STREAMING) {
            last.release();
            return;
        }
        state = State.DONE;
        if (last.isReadable()) {
            hooks.event(last);
        }
        hooks.streamEnded();
        ChannelFuture f = channel.writeAndFlush(new DefaultLastHttpContent(last, Headers.NO_TRAILERS));
        closeUnlessKeptAlive(f);
        finish();
    }

    /**
     * Answers with the error {@code t} maps to. Before the response began: a JSON error response. During a
     * stream: a final {@code data: {"error":...}} event and the end of the chunked body (no {@code [DONE]},
     * so a client can tell the stream failed). The connection stays open for the next request when the
     * response ended cleanly: closing it after a complete response races a client that pools connections
     * (OkHttp sent its next request on the dying socket). It closes only when keep-alive is off: a client still
     * reading what was written is not a reason (with io_uring, written bytes wait for the ring's completion, so the
     * channel reads as unwritable for a moment after any large write), and one that stops reading is the slow-client
     * guard's and the idle timeout's to close. After the end: logged.
     */
    public void fail(Throwable t) {
        if (state == State.DONE) {
            LOG.debug("request {} failed after its response ended", requestId, t);
            return;
        }
        ApiError e = ErrorMapper.map(t, requestId);
        e = hooks.mapError(e);
        log.error = e.code() != null ? e.code() : e.type();
        if (state == State.OPEN) {
            e.headers().forEach(responseHeaders()::set);
            respond(HttpResponseStatus.valueOf(e.status()), Json.write(channel.alloc(), e.toJson()));
            log.status = e.status();
            return;
        }
        state = State.DONE;
        log.status = e.status();
        if (rawBody) {
            channel.close();
            finish();
            return;
        }
        ByteBuf event = hooks.errorEvent(channel.alloc(), e);
        hooks.event(event);
        boolean close = !keepAlive;
        channel.write(new DefaultHttpContent(event));
        ChannelFuture f = channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        if (close) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
        finish();
    }

    /** The client went away (connection closed) before the response ended. */
    void clientGone() {
        if (state == State.DONE) {
            return;
        }
        state = State.DONE;
        log.status = 499;
        log.error = log.error == null ? "client_closed_request" : log.error; // or why the gateway cut it off
        if (streamedBody != null) {
            streamedBody.fail(new java.nio.channels.ClosedChannelException());
        }
        listeners.clientGone();
        finish();
    }

    /** Closes the connection now (a slow client), cancelling the work behind this exchange. */
    public void abortConnection(String reason) {
        LOG.debug("closing connection of request {}: {}", requestId, reason);
        channel.close();
    }

    /**
     * After the last write of a response that does not keep the connection: close it, except while a streamed
     * request body is still arriving, which the connection's dispatcher reads and discards for a moment first
     * (closing on unread bytes makes the kernel reset the connection, and the client would see the reset instead of
     * this response).
     */
    private void closeUnlessKeptAlive(ChannelFuture f) {
        if (keepAlive || endedBeforeBody()) {
            return;
        }
        f.addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * Whether the response ended while the streamed request body was still arriving from a client worth waiting for
     * (not one cut off for sending too slowly).
     */
    boolean endedBeforeBody() {
        return streamedBody != null && !streamedBody.isComplete() && !streamedBody.hasFailed();
    }

    private void commonHeaders(HttpHeaders h) {
        h.set(X_REQUEST_ID, requestId);
        h.set(PROCESSING_MS, Long.toString((System.nanoTime() - startNanos) / 1_000_000));
        if (responseHeaders != null && !responseHeaders.isEmpty()) {
            h.add(responseHeaders);
        }
        // A streamed body the handler did not read to its end is still on its way: the connection cannot carry
        // another request after it.
        keepAlive = keepAliveRequested && !server.isDraining() && channel.isActive()
                && (streamedBody == null || streamedBody.isComplete());
        if (!keepAlive) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
    }

    private void finish() {
        log.durationNanos = System.nanoTime() - startNanos;
        request.release();
        if (streamedBody != null) {
            streamedBody.discard();
        }
        server.requestEnded();
        listeners.ended(this, channel.eventLoop());
    }

    @Override
    public String toString() {
        return "Exchange[" + requestId + " " + request.method() + " " + path() + " " + state + "]";
    }
}
