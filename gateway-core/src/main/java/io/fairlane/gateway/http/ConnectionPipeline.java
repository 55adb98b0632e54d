package io.fairlane.gateway.http;

import io.fairlane.gateway.config.ClientLimits;
import io.fairlane.gateway.config.ServerConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The handlers of one client connection, in order: header-read timeout → HTTP codec (URI and header limits) →
 * header completion → [refusal, over a connection cap] → body-read guard (deadline and minimum rate) → idle timer →
 * body aggregator (body limit) → {@link RequestDispatcher}. Kept apart from the listener so that a test can build
 * the very same pipeline on an {@code EmbeddedChannel} (the HTTP framing fuzz test does).
 *
 * <p>Thread-safe: one instance serves every connection; {@link #init} runs on the connection's event loop.
 */
final class ConnectionPipeline {

    private final HttpDecoderConfig decoderConfig;
    private final long headerNanos;
    private final long idleNanos;
    private final int maxBody;
    private final ClientLimits limits;
    private final ConnectionGate gate;
    private final ConnectionEvents events;
    private final Router router;
    private final ServerState state;
    private final List<Function<HttpHandler, HttpHandler>> decorators;

    ConnectionPipeline(ServerConfig config, ConnectionGate gate, ConnectionEvents events, Router router,
                       ServerState state, List<Function<HttpHandler, HttpHandler>> decorators) {
        this.decoderConfig = new HttpDecoderConfig()
                .setMaxInitialLineLength(config.maxUriLength())
                .setMaxHeaderSize(config.maxHeaderBytes())
                .setMaxChunkSize(64 * 1024)
                .setTrailersFactory(Headers.DECODED_TRAILERS);
        this.headerNanos = config.headerReadTimeout().toNanos();
        this.idleNanos = config.idleTimeout().toNanos();
        this.maxBody = (int) Math.min(Integer.MAX_VALUE, config.maxBodyBytes());
        this.limits = config.clientLimits();
        this.gate = Objects.requireNonNull(gate, "gate");
        this.events = Objects.requireNonNull(events, "events");
        this.router = Objects.requireNonNull(router, "router");
        this.state = Objects.requireNonNull(state, "state");
        this.decorators = List.copyOf(decorators);
    }

    /** Admits {@code ch} at the gate and installs its handlers. */
    void init(Channel ch) {
        ConnectionEvent refused = gate.admit(ch);
        HeaderReadTimeout headerTimeout = new HeaderReadTimeout(headerNanos, events);
        ChannelPipeline p = ch.pipeline();
        p.addLast("header-timeout", headerTimeout);
        p.addLast("codec", new HttpServerCodec(decoderConfig));
        p.addLast("headers-complete", headerTimeout.completion());
        if (refused != null) {
            int limit = gate.limitOf(refused);
            events.report(refused, ch, "over the limit of " + limit + " connections; its first request is refused");
            p.addLast("refused", FailedRequests.refuseAll(ConnectionGate.refusal(refused, limit)));
        }
        p.addLast(BodyReadGuard.NAME, new BodyReadGuard(limits.bodyRead(), limits.minBodyRate(), events));
        // Reader-idle only: an all-idle timer also hooks every write's promise, a cost per response.
        p.addLast("idle", new IdleStateHandler(idleNanos, 0, 0, TimeUnit.NANOSECONDS));
        p.addLast("aggregator", new BodyAggregator(maxBody, router::isStreaming));
        p.addLast("dispatcher", new RequestDispatcher(router, state, decorators, events));
    }
}
