package io.fairlane.gateway.lane.upstream;

import io.netty.channel.EventLoop;

/** Which pool a connection belongs to: one per event loop and upstream endpoint. */
record PoolKey(EventLoop loop, String host, int port, boolean tls) {
}
