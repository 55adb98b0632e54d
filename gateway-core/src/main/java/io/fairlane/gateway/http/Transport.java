package io.fairlane.gateway.http;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The socket transport, picked once at start: on Linux io_uring when the kernel offers it, else native epoll, else
 * NIO. Server and upstream client use the same one, so a proxied request's two connections can share an event loop.
 *
 * <p>io_uring hands the kernel each event loop's reads and writes in one batch per loop turn instead of one system
 * call each; on the proxy path that cut the gateway's CPU per request by about a third against epoll
 * (docs/benchmarks.md, "Gateway proxy overhead"). Where the kernel lacks the io_uring features Netty checks for,
 * or a container runtime's seccomp profile refuses its system calls (Docker's and containerd's defaults do), the
 * gateway runs on epoll. {@code server.transport} ({@code auto}, {@code io_uring}, {@code epoll}, {@code nio}) asks for
 * one; one that cannot load falls back the same way, and the startup log names the transport in use.
 *
 * @param name               {@code io_uring}, {@code epoll} or {@code nio}, for the startup log
 * @param ioHandlerFactory   the event loops' I/O handler
 * @param serverChannelClass the listening socket type
 * @param channelClass       the connection socket type
 */
public record Transport(String name, IoHandlerFactory ioHandlerFactory,
                        Class<? extends ServerChannel> serverChannelClass,
                        Class<? extends SocketChannel> channelClass) {

    /** The transport for {@code wanted} (one of {@code ServerConfig.TRANSPORTS}), or the next best this host has. */
    public static Transport detect(String wanted) {
        boolean any = !wanted.equals("epoll") && !wanted.equals("nio");
        if (any && IoUring.isAvailable()) {
            return new Transport("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class,
                    IoUringSocketChannel.class);
        }
        if (!wanted.equals("nio") && Epoll.isAvailable()) {
            return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                    EpollSocketChannel.class);
        }
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class);
    }

    public EventLoopGroup newGroup(int threads, String threadName) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(threadName, true), ioHandlerFactory);
    }
}
