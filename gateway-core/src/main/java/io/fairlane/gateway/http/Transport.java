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
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The socket transport: native epoll on Linux when its library loads (fewer copies and syscalls than
 * NIO), else NIO. Server and upstream client use the same one, so a proxied request's two connections
 * can share an event loop. {@code -Dfairlane.transport=nio} forces NIO (for comparisons).
 *
 * @param name               {@code epoll} or {@code nio}, for the startup log
 * @param ioHandlerFactory   the event loops' I/O handler
 * @param serverChannelClass the listening socket type
 * @param channelClass       the connection socket type
 */
public record Transport(String name, IoHandlerFactory ioHandlerFactory,
                        Class<? extends ServerChannel> serverChannelClass,
                        Class<? extends SocketChannel> channelClass) {

    public static Transport detect() {
        if (Epoll.isAvailable() && !"nio".equals(System.getProperty("fairlane.transport"))) {
            return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                    EpollSocketChannel.class);
        }
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class);
    }

    public EventLoopGroup newGroup(int threads, String threadName) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(threadName, true), ioHandlerFactory);
    }
}
