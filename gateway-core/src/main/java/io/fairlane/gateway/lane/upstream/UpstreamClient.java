package io.fairlane.gateway.lane.upstream;

import io.fairlane.gateway.http.Headers;
import io.fairlane.gateway.http.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.io.File;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pooled HTTP/1.1 connections to upstream servers. Pools are per event loop: a proxied request uses a
 * connection on its own client connection's loop, so relaying never crosses threads and a pool needs no
 * lock. Connections are kept alive and reused; a pooled connection idle for a minute is closed.
 *
 * <p>TLS uses the system trust store ({@code /etc/ssl/certs/ca-certificates.crt} when present, else the
 * JDK's), so an upstream behind a private CA is trusted once the system trusts it.
 *
 * <p>Thread-safe: each pool is touched only by its own event loop.
 */
public final class UpstreamClient implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(UpstreamClient.class);
    private static final File SYSTEM_CA = new File("/etc/ssl/certs/ca-certificates.crt");
    private static final int MAX_IDLE_PER_POOL = 256;
    private static final Duration POOLED_IDLE = Duration.ofSeconds(60);

    private final Transport transport;
    private final ConcurrentHashMap<PoolKey, ArrayDeque<UpstreamConnection>> pools = new ConcurrentHashMap<>();
    private volatile SslContext ssl;

    public UpstreamClient(Transport transport) {
        this.transport = transport;
    }

    /**
     * A connection to {@code url}'s endpoint on {@code loop}: a pooled one when available, else a new one.
     * Must be called on {@code loop}.
     *
     * @param fresh true when the future holds a new connection (a failure on a reused connection before
     *              any response byte is worth one retry on a fresh one, since the server may have closed it)
     */
    public Future<UpstreamConnection> acquire(EventLoop loop, URI url, Duration connectTimeout, boolean[] fresh) {
        boolean tls = "https".equalsIgnoreCase(url.getScheme());
        int port = url.getPort() > 0 ? url.getPort() : tls ? 443 : 80;
        PoolKey key = new PoolKey(loop, url.getHost(), port, tls);
        ArrayDeque<UpstreamConnection> idle = pools.get(key);
        if (idle != null) {
            UpstreamConnection c;
            while ((c = idle.pollLast()) != null) {
                if (c.channel().isActive()) {
                    fresh[0] = false;
                    return loop.newSucceededFuture(c);
                }
            }
        }
        fresh[0] = true;
        Promise<UpstreamConnection> promise = loop.newPromise();
        SslContext sslContext;
        try {
            sslContext = tls ? ssl() : null;
        } catch (SSLException e) {
            return promise.setFailure(e);
        }
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(transport.channelClass())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (sslContext != null) {
                            p.addLast("tls", sslContext.newHandler(ch.alloc(), key.host(), key.port()));
                        }
                        p.addLast("codec", new HttpClientCodec(new HttpDecoderConfig().setMaxInitialLineLength(8192)
                                .setMaxHeaderSize(64 * 1024).setMaxChunkSize(64 * 1024)
                                .setHeadersFactory(Headers.UPSTREAM_RESPONSE)
                                .setTrailersFactory(Headers.DECODED_TRAILERS), false, false));
                        p.addLast("idle", new IdleStateHandler(POOLED_IDLE.toSeconds(), 0, 0, TimeUnit.SECONDS));
                        p.addLast("upstream", new UpstreamConnection(ch, key));
                    }
                });
        ChannelFuture f = b.connect(key.host(), key.port());
        f.addListener(done -> {
            if (done.isSuccess()) {
                promise.trySuccess(f.channel().pipeline().get(UpstreamConnection.class));
            } else {
                promise.tryFailure(done.cause());
            }
        });
        return promise;
    }

    /** Returns a connection after its response ended; closes it when it cannot be reused. */
    public void release(UpstreamConnection c) {
        c.detach();
        if (!c.reusable()) {
            c.channel().close();
            return;
        }
        ArrayDeque<UpstreamConnection> idle = pools.computeIfAbsent(c.pool(), k -> new ArrayDeque<>());
        if (idle.size() >= MAX_IDLE_PER_POOL) {
            c.channel().close();
            return;
        }
        idle.addLast(c);
    }

    /** Closes a connection whose exchange was abandoned (client gone, timeout). */
    public void discard(UpstreamConnection c) {
        c.detach();
        c.channel().close();
    }

    private SslContext ssl() throws SSLException {
        SslContext s = ssl;
        if (s == null) {
            synchronized (this) {
                if (ssl == null) {
                    SslContextBuilder b = SslContextBuilder.forClient();
                    if (SYSTEM_CA.isFile()) {
                        b.trustManager(SYSTEM_CA);
                        LOG.debug("upstream TLS trusts {}", SYSTEM_CA);
                    }
                    ssl = b.build();
                }
                s = ssl;
            }
        }
        return s;
    }

    /** Closes every pooled connection. */
    @Override
    public void close() {
        for (var e : pools.entrySet()) {
            EventLoop loop = e.getKey().loop();
            ArrayDeque<UpstreamConnection> idle = e.getValue();
            if (!loop.isShuttingDown()) {
                loop.execute(() -> {
                    UpstreamConnection c;
                    while ((c = idle.poll()) != null) {
                        c.channel().close();
                    }
                });
            }
        }
    }
}
