package io.fairlane.gateway.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.nio.channels.ClosedChannelException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Runs requests from inside the gateway (batch lines) through the same router, decorators, lanes and schedulers as
 * requests from the network: authentication as a tenant, parsing and validation, routing by model, admission in the
 * tenant scheduler at a given service tier, metering, the access log. Whatever handles a path over HTTP handles it
 * here, so an endpoint added to the router is available in-process with no further code.
 *
 * <p>Each request gets its own {@link InProcessChannel} on one of the gateway's event loops (round robin). The
 * channel carries the tenant the request runs as, in place of an API key, and the tier it is scheduled in, in place
 * of the body's {@code service_tier} ({@link #tenantOf}, {@link #serviceTierOf}).
 *
 * <p>Thread-safe.
 */
public final class InProcessRequests {

    /** In-process calls have no socket: framing and connection events cannot happen, so none is counted. */
    private static final ConnectionEvents IN_PROCESS_EVENTS = new ConnectionEvents(ConnectionStats.NONE);

    /** A complete answer: status, headers, body bytes. */
    public record Response(int status, HttpHeaders headers, byte[] body) {
    }

    /** A request in flight: its answer, and a way to abandon it (the work behind it is cancelled). */
    public interface Call {
        CompletableFuture<Response> response();

        void cancel();
    }

    private final EventLoopGroup loops;
    private final Supplier<Router> router;
    private final ServerState state;
    private final List<Function<HttpHandler, HttpHandler>> decorators;

    public InProcessRequests(EventLoopGroup loops, Supplier<Router> router, ServerState state,
                             List<Function<HttpHandler, HttpHandler>> decorators) {
        this.loops = Objects.requireNonNull(loops, "loops");
        this.router = Objects.requireNonNull(router, "router");
        this.state = Objects.requireNonNull(state, "state");
        this.decorators = List.copyOf(decorators);
    }

    /** The tenant an in-process request runs as; empty for requests from the network. */
    public static Optional<String> tenantOf(Exchange exchange) {
        return exchange.channel() instanceof InProcessChannel c ? Optional.of(c.tenant()) : Optional.empty();
    }

    /** The service tier an in-process request must be scheduled in, overriding its body; empty from the network. */
    public static Optional<String> serviceTierOf(Exchange exchange) {
        return exchange.channel() instanceof InProcessChannel c ? Optional.ofNullable(c.serviceTier())
                : Optional.empty();
    }

    /**
     * Sends {@code method path} with a JSON body as {@code tenant}, scheduled at {@code serviceTier} (a wire name,
     * or null for the request's own). The answer completes on an event loop; the caller should hop off it for
     * anything slow.
     */
    public Call send(String tenant, String serviceTier, HttpMethod method, String path, byte[] json) {
        Objects.requireNonNull(tenant, "tenant");
        Collector collector = new Collector();
        InProcessChannel channel = new InProcessChannel(collector, tenant, serviceTier);
        collector.channel = channel;
        channel.closeFuture().addListener(f -> collector.closed());
        EventLoop loop = loops.next();
        channel.pipeline().addLast("dispatcher",
                new RequestDispatcher(router.get(), state, decorators, IN_PROCESS_EVENTS));
        loop.register(channel).addListener(registered -> {
            if (!registered.isSuccess()) {
                collector.result.completeExceptionally(registered.cause());
                return;
            }
            ByteBuf body = Unpooled.wrappedBuffer(json);
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, path, body,
                    Headers.OUTGOING, Headers.NO_TRAILERS);
            request.headers().set(HttpHeaderNames.HOST, "in-process");
            request.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
            request.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, json.length);
            request.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            channel.pipeline().fireChannelRead(request);
        });
        return new Call() {
            @Override
            public CompletableFuture<Response> response() {
                return collector.result;
            }

            @Override
            public void cancel() {
                channel.close();
            }
        };
    }

    /** Collects what the pipeline writes into one {@link Response}; runs on the channel's event loop. */
    private static final class Collector implements java.util.function.Consumer<Object> {
        final CompletableFuture<Response> result = new CompletableFuture<>();
        InProcessChannel channel;
        private HttpResponse head;
        private ByteArrayOutputStream body;

        @Override
        public void accept(Object msg) {
            try {
                if (msg instanceof HttpResponse r) {
                    if (r.status().codeClass() == io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL) {
                        return;
                    }
                    head = r;
                    body = new ByteArrayOutputStream();
                }
                if (msg instanceof HttpContent c && body != null) {
                    ByteBuf bytes = c.content();
                    bytes.getBytes(bytes.readerIndex(), body, bytes.readableBytes());
                }
                if (msg instanceof LastHttpContent && head != null) {
                    result.complete(new Response(head.status().code(), head.headers(), body.toByteArray()));
                    channel.close();
                }
            } catch (java.io.IOException e) {
                result.completeExceptionally(e);
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        void closed() {
            result.completeExceptionally(new ClosedChannelException());
        }
    }
}
