package io.fairlane.gateway.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a connection's pipeline: turns each complete request into an {@link Exchange}, finds
 * its handler, wraps it in the global decorators and runs it, catching whatever it throws into the error
 * mapper. HTTP/1.1 answers requests in order, so a pipelined request waits until the one before it ended.
 * When the connection drops, the exchange in progress is told, so its work is cancelled.
 *
 * <p>A request the decoder could not read, or that the front end refused before its body (too large, too slow,
 * over a connection cap), arrives as a failed request and is answered by {@link ErrorMapper#framing} through the
 * same decorators, so the access log and the counters see every answer, then the connection closes. Whatever
 * else reaches this handler as an exception is one {@link ConnectionEvents} line: a client that left mid-request
 * is routine, not a stack trace.
 *
 * <p>Requests on streaming routes ({@link Router#routeStreaming}) arrive as a head and then chunks, which go to the
 * exchange's {@link RequestBody} as they come. When such an exchange ends before its body did, the rest of the body
 * is read and dropped for up to {@value #LINGER_SECONDS} s before the connection closes, so the client reads the
 * answer rather than a reset.
 *
 * <p>One instance per connection, confined to its event loop.
 */
final class RequestDispatcher extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(RequestDispatcher.class);
    private static final int MAX_PIPELINED = 16;
    static final int LINGER_SECONDS = 5;

    private final Router router;
    private final ServerState state;
    private final List<Function<HttpHandler, HttpHandler>> decorators;
    private final ConnectionEvents events;
    private final ArrayDeque<FullHttpRequest> pipelined = new ArrayDeque<>(0);
    private ChannelHandlerContext ctx;
    private Exchange current;
    private RequestBody streaming;
    private boolean lingering;

    RequestDispatcher(Router router, ServerState state, List<Function<HttpHandler, HttpHandler>> decorators,
                      ConnectionEvents events) {
        this.router = router;
        this.state = state;
        this.decorators = decorators;
        this.events = events;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.ctx = context;
    }

    @Override
    public void channelRead(ChannelHandlerContext context, Object msg) {
        if (!(msg instanceof FullHttpRequest request)) {
            if (msg instanceof HttpRequest head) {
                startStreaming(context, head);
            } else if (msg instanceof HttpContent content) {
                bodyChunk(context, content);
            } else {
                ReferenceCountUtil.release(msg);
            }
            return;
        }
        if (lingering) {
            request.release();
            context.close();
            return;
        }
        if (current != null) {
            if (pipelined.size() >= MAX_PIPELINED) {
                request.release();
                LOG.debug("closing {}: more than {} pipelined requests", context.channel(), MAX_PIPELINED);
                context.close();
                return;
            }
            pipelined.add(request);
            return;
        }
        start(request);
    }

    private void start(FullHttpRequest request) {
        start(request, null);
    }

    private void start(FullHttpRequest request, RequestBody body) {
        boolean malformed = request.decoderResult().isFailure();
        Exchange exchange = new Exchange(ctx.channel(), request, RequestIds.fromHeaders(request.headers()), state,
                !malformed && HttpUtil.isKeepAlive(request), body);
        current = exchange;
        // The connection is free for the next request as soon as the response has ended, not once the done
        // listeners run: those may wait for usage to be reported (up to seconds), and a client that sends its next
        // request meanwhile must not find it queued that long, nor, for an upload, the connection closed.
        exchange.onEnding(() -> ended(exchange));
        HttpHandler handler;
        if (malformed) {
            ApiError error = ErrorMapper.framing(request.decoderResult().cause());
            if (error.status() == 400) {
                events.report(ConnectionEvent.MALFORMED_REQUEST, ctx.channel(), error.message());
            }
            handler = e -> {
                throw new ApiException(error);
            };
        } else if (state.isDraining()) {
            handler = e -> {
                throw ApiException.unavailable("The server is shutting down; retry on another instance.", 1);
            };
        } else {
            handler = router.resolve(request.method(), exchange.path());
        }
        try {
            handler.decorate(decorators).serve(exchange);
        } catch (Throwable t) {
            exchange.fail(t);
        }
    }

    /** The head of a request on a streaming route: its body follows as chunks. */
    private void startStreaming(ChannelHandlerContext context, HttpRequest head) {
        ReferenceCountUtil.release(head);
        if (current != null || lingering || head.decoderResult().isFailure()) {
            // Pipelining behind another request, or a broken head: the body cannot be told apart from what follows.
            context.close();
            return;
        }
        FullHttpRequest shell = new DefaultFullHttpRequest(head.protocolVersion(), head.method(), head.uri(),
                Unpooled.EMPTY_BUFFER, head.headers(), Headers.DECODED_TRAILERS.newEmptyHeaders());
        RequestBody body = new RequestBody(context.channel());
        streaming = body;
        start(shell, body);
    }

    private void bodyChunk(ChannelHandlerContext context, HttpContent content) {
        if (streaming != null) {
            RequestBody body = streaming;
            if (content instanceof LastHttpContent) {
                streaming = null;
            }
            body.offer(content);
            if (lingering && content instanceof LastHttpContent) {
                context.close();
            }
            return;
        }
        content.release();
    }

    private void ended(Exchange exchange) {
        if (current == exchange) {
            current = null;
        }
        if (exchange.endedBeforeBody()) {
            lingering = true;
            ctx.channel().config().setAutoRead(true);
            ctx.executor().schedule(() -> {
                ctx.close();
            }, LINGER_SECONDS, TimeUnit.SECONDS);
            return;
        }
        if (!pipelined.isEmpty()) {
            // Start the next one after the current call stack unwinds, never inside a listener.
            ctx.executor().execute(() -> {
                if (current == null && !pipelined.isEmpty() && ctx.channel().isActive()) {
                    start(pipelined.poll());
                }
            });
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) throws Exception {
        Exchange e = current;
        current = null;
        if (e != null) {
            e.clientGone();
        }
        FullHttpRequest r;
        while ((r = pipelined.poll()) != null) {
            r.release();
        }
        super.channelInactive(context);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext context, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            if (current == null) {
                LOG.debug("closing idle connection {}", context.channel());
                context.close();
            }
            return;
        }
        super.userEventTriggered(context, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
        if (cause instanceof IOException || cause instanceof PrematureChannelClosureException) {
            // The client reset or closed the connection. Mid-body (the aggregator's complaint) it is worth a line,
            // rate-limited; a reset alone, or a close we made ourselves for a reason already reported, is not.
            if (cause instanceof PrematureChannelClosureException
                    && !ConnectionEvents.alreadyReported(context.channel())) {
                events.report(ConnectionEvent.CLIENT_GONE_MID_REQUEST, context.channel(),
                        "closed the connection before its request was complete");
            } else {
                LOG.debug("connection {} failed: {}", context.channel(), cause.toString());
            }
        } else if (!ConnectionEvents.alreadyReported(context.channel())) {
            events.report(ConnectionEvent.UNEXPECTED_ERROR, context.channel(), "closed after " + cause, cause);
        }
        context.close();
    }
}
