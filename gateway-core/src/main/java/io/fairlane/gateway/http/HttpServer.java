package io.fairlane.gateway.http;

import io.fairlane.gateway.config.ClientLimits;
import io.fairlane.gateway.config.ServerConfig;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/1.1 listener: accepts connections and gives each the handlers of {@link ConnectionPipeline} (timeouts,
 * codec, body guard and aggregator, dispatcher). A connection over the {@link ConnectionGate}'s caps gets a
 * pipeline whose first request is refused (429 or 503) and closed.
 */
public final class HttpServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel serverChannel;
    private final ChannelGroup connections;
    private final ConnectionGate gate;

    private HttpServer(EventLoopGroup boss, EventLoopGroup workers, Channel serverChannel, ChannelGroup connections,
                       ConnectionGate gate) {
        this.connections = connections;
        this.gate = gate;
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
        return start(config, transport, workers, router, state, decorators, ConnectionStats.NONE);
    }

    /**
     * Binds and starts serving, reporting connection events to {@code stats}.
     *
     * @param workers    the event loops that run connections (shared with the upstream client)
     * @param decorators applied to every request's handler, the first outermost
     */
    public static HttpServer start(ServerConfig config, Transport transport, EventLoopGroup workers, Router router,
                                   ServerState state, List<Function<HttpHandler, HttpHandler>> decorators,
                                   ConnectionStats stats) throws InterruptedException {
        Objects.requireNonNull(config, "config");
        ConnectionEvents events = new ConnectionEvents(stats);
        ClientLimits limits = config.clientLimits();
        ConnectionGate gate = new ConnectionGate(limits.maxConnections(), limits.maxConnectionsPerAddress());
        EventLoopGroup boss = transport.newGroup(1, "fairlane-accept");
        ConnectionPipeline pipeline = new ConnectionPipeline(config, gate, events, router, state, decorators);
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
                        pipeline.init(ch);
                    }
                });
        Channel ch;
        try {
            ch = b.bind(config.host(), config.port()).sync().channel();
        } catch (InterruptedException | RuntimeException e) {
            boss.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw e;
        } catch (Exception e) {
            // What Netty's sync() rethrows undeclared: a bind failure (a port in use), as a BindException or, on the
            // native transports, their own IOException. Callers get one unchecked kind with the address in it.
            boss.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            java.net.BindException bind = new java.net.BindException("cannot listen on " + config.host() + ":"
                    + config.port() + ": " + e.getMessage());
            bind.initCause(e);
            throw new java.io.UncheckedIOException(bind);
        }
        HttpServer server = new HttpServer(boss, workers, ch, connections, gate);
        LOG.info("listening on {}:{} ({} transport)", config.host(), server.port(), transport.name());
        return server;
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** Client connections admitted and open now (those refused over a cap are not counted). */
    public int openConnections() {
        return gate.open();
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
