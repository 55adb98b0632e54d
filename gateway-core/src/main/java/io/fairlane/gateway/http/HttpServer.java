package io.fairlane.gateway.http;

import io.fairlane.gateway.config.ServerConfig;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/1.1 listener. Pipeline per connection:
 * header-read timeout → HTTP codec (URI and header limits) → header completion → idle timer →
 * body aggregator (body limit) → {@link RequestDispatcher}.
 */
public final class HttpServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel serverChannel;
    private final ChannelGroup connections;

    private HttpServer(EventLoopGroup boss, EventLoopGroup workers, Channel serverChannel, ChannelGroup connections) {
        this.connections = connections;
        this.boss = boss;
        this.workers = workers;
        this.serverChannel = serverChannel;
    }

    /**
     * Binds and starts serving.
     *
     * @param workers    the event loops that run connections (shared with the upstream client)
     * @param decorators applied to every request's handler, the first outermost
     */
    public static HttpServer start(ServerConfig config, Transport transport, EventLoopGroup workers, Router router,
                                   ServerState state, List<Function<HttpHandler, HttpHandler>> decorators)
            throws InterruptedException {
        Objects.requireNonNull(config, "config");
        EventLoopGroup boss = transport.newGroup(1, "fairlane-accept");
        HttpDecoderConfig decoderConfig = new HttpDecoderConfig()
                .setMaxInitialLineLength(config.maxUriLength())
                .setMaxHeaderSize(config.maxHeaderBytes())
                .setMaxChunkSize(64 * 1024)
                .setTrailersFactory(Headers.DECODED_TRAILERS);
        long headerNanos = config.headerReadTimeout().toNanos();
        long idleNanos = config.idleTimeout().toNanos();
        int maxBody = (int) Math.min(Integer.MAX_VALUE, config.maxBodyBytes());
        List<Function<HttpHandler, HttpHandler>> decoratorList = List.copyOf(decorators);
        ChannelGroup connections = new DefaultChannelGroup("connections", GlobalEventExecutor.INSTANCE);
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(transport.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 128 * 1024))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        HeaderReadTimeout headerTimeout = new HeaderReadTimeout(headerNanos);
                        ChannelPipeline p = ch.pipeline();
                        p.addLast("header-timeout", headerTimeout);
                        p.addLast("codec", new HttpServerCodec(decoderConfig));
                        p.addLast("headers-complete", headerTimeout.completion());
                        // Reader-idle only: an all-idle timer also hooks every write's promise, a cost per response.
                        p.addLast("idle", new IdleStateHandler(idleNanos, 0, 0, TimeUnit.NANOSECONDS));
                        p.addLast("aggregator", new BodyAggregator(maxBody, router::isStreaming));
                        p.addLast("dispatcher", new RequestDispatcher(router, state, decoratorList));
                    }
                });
        Channel ch;
        try {
            ch = b.bind(config.host(), config.port()).sync().channel();
        } catch (RuntimeException | InterruptedException e) {
            boss.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw e;
        }
        HttpServer server = new HttpServer(boss, workers, ch, connections);
        LOG.info("listening on {}:{} ({} transport)", config.host(), server.port(), transport.name());
        return server;
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public EventLoopGroup workers() {
        return workers;
    }

    /** Stops accepting connections; open ones keep being served. */
    public void stopAccepting() {
        serverChannel.close().syncUninterruptibly();
    }

    /** Closes every open connection and the acceptor. */
    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
