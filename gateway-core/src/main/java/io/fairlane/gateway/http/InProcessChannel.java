package io.fairlane.gateway.http;

import io.netty.channel.AbstractChannel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import java.net.SocketAddress;
import java.util.function.Consumer;

/**
 * A connection with no socket behind it, registered on one of the gateway's own event loops: what
 * {@link InProcessRequests} runs a request through, so that it meets the same router, decorators, lanes and
 * schedulers as a request from the network, and, being on a real event loop, the upstream client's per-loop pools.
 *
 * <p>It performs no I/O: registration succeeds without an I/O handle, reading does nothing (the request is fired
 * into the pipeline by {@link InProcessRequests}), and what the pipeline writes is handed to {@code sink} as the
 * messages themselves ({@code HttpResponse}, {@code HttpContent}), whose ownership passes with them. Closing it is
 * how a caller abandons the request: the dispatcher sees the connection go and cancels the work behind it.
 *
 * <p>Carries who the request is for: the tenant it runs as and the service tier it must be scheduled in. Only code
 * in this process creates these channels, so a request from the network can never claim either.
 */
final class InProcessChannel extends AbstractChannel {

    private static final ChannelMetadata METADATA = new ChannelMetadata(false);
    private static final SocketAddress ADDRESS = new SocketAddress() {
        private static final long serialVersionUID = 1L;

        @Override
        public String toString() {
            return "in-process";
        }
    };

    private final ChannelConfig config = new DefaultChannelConfig(this);
    private final Consumer<Object> sink;
    private final String tenant;
    private final String serviceTier;
    private volatile boolean open = true;

    InProcessChannel(Consumer<Object> sink, String tenant, String serviceTier) {
        super(null);
        this.sink = sink;
        this.tenant = tenant;
        this.serviceTier = serviceTier;
    }

    String tenant() {
        return tenant;
    }

    String serviceTier() {
        return serviceTier;
    }

    @Override
    protected AbstractUnsafe newUnsafe() {
        return new AbstractUnsafe() {
            @Override
            public void connect(SocketAddress remote, SocketAddress local, ChannelPromise promise) {
                promise.setFailure(new UnsupportedOperationException("an in-process channel is never connected"));
            }
        };
    }

    @Override
    protected boolean isCompatible(EventLoop loop) {
        return true;
    }

    @Override
    protected SocketAddress localAddress0() {
        return ADDRESS;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return ADDRESS;
    }

    @Override
    protected void doBind(SocketAddress localAddress) {
    }

    @Override
    protected void doDisconnect() {
        doClose();
    }

    @Override
    protected void doClose() {
        open = false;
    }

    @Override
    protected void doBeginRead() {
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) {
        for (Object msg = in.current(); msg != null; msg = in.current()) {
            ReferenceCountUtil.retain(msg);
            in.remove();
            sink.accept(msg);
        }
    }

    @Override
    public ChannelConfig config() {
        return config;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public boolean isActive() {
        return open;
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }
}
