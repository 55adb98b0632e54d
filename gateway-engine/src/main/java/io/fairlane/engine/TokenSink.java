package io.fairlane.engine;

/**
 * Receives a generation's events, in order, on the engine's loop thread. Implementations hand the event
 * to their own thread (for the gateway, the channel's event loop) and return at once; they never block
 * and never throw.
 */
@FunctionalInterface
public interface TokenSink {

    void accept(TokenEvent event);
}
