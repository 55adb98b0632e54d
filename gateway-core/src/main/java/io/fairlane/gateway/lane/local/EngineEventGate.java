package io.fairlane.gateway.lane.local;

import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.TokenSink;
import java.util.ArrayList;
import java.util.List;

/**
 * Carries the engine's events for one client request to the client's event loop, and holds those that arrive
 * before anyone there is ready for them. A prompt is submitted to the engine off the event loop (in the
 * preparation pool), so the engine may start emitting before the loop has learnt that the submission worked
 * and attached the run that turns events into a response; the gate keeps them, in order, until then.
 *
 * <p>The events cross threads through the loop's {@link EngineEventMailbox}, which batches them per engine step.
 *
 * <p>Confined to the exchange's event loop, but for {@link #sink}, whose sinks the engine calls on its own thread.
 */
final class EngineEventGate {

    /** Receives the events of prompt {@code prompt} (0 for chat) on the exchange's loop. */
    @FunctionalInterface
    interface Handler {
        void on(int prompt, TokenEvent event);
    }

    private record Held(int prompt, TokenEvent event) {
    }

    private final EngineEventMailbox mailbox;
    private List<Held> held = new ArrayList<>(4);
    private Handler handler;

    /** A gate whose events travel through {@code mailbox}, the one of the exchange's event loop. */
    EngineEventGate(EngineEventMailbox mailbox) {
        this.mailbox = mailbox;
    }

    /** The sink for prompt {@code prompt}: hands each event to the client's event loop and never throws. */
    TokenSink sink(int prompt) {
        // When the loop no longer takes tasks the server is stopping, and the engine is being closed too.
        return event -> mailbox.post(this, prompt, event);
    }

    /** Whether a handler has been attached. */
    boolean attached() {
        return handler != null;
    }

    /** From now on events go to {@code h}; those already held go first. */
    void attach(Handler h) {
        handler = h;
        List<Held> early = held;
        held = null;
        for (Held e : early) {
            h.on(e.prompt(), e.event());
        }
    }

    /** Hands on one event; on the exchange's loop. */
    void deliver(int prompt, TokenEvent event) {
        if (handler == null) {
            held.add(new Held(prompt, event));
        } else {
            handler.on(prompt, event);
        }
    }
}
