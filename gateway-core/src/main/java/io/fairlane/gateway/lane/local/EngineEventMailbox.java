package io.fairlane.gateway.lane.local;

import io.fairlane.engine.TokenEvent;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.PlatformDependent;
import java.util.Queue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries engine events to one event loop in batches. The engine's loop thread emits a step's tokens, for every
 * request in the batch, in one burst; handing each to the event loop as a task of its own costs a task (and, for
 * a sleeping loop, a wake-up) per token. Here the burst goes into a queue and the loop gets one task, which
 * hands on everything queued by the time it runs: one task per step and loop while the engine keeps up, however
 * many streams the loop serves. The first event of a burst schedules that task at once, so nothing waits for
 * the rest of the step.
 *
 * <p>Thread-safe: any thread posts (the engine's); the events are handed on in the order posted, on the loop.
 */
final class EngineEventMailbox {

    private record Delivery(EngineEventGate gate, int prompt, TokenEvent event) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(EngineEventMailbox.class);

    private final EventExecutor loop;
    private final Queue<Delivery> queue = PlatformDependent.newMpscQueue();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Runnable drain = this::drain;

    EngineEventMailbox(EventExecutor loop) {
        this.loop = loop;
    }

    /**
     * Queues {@code event} for {@code gate} and makes sure a drain is coming; false, and the event is dropped, when
     * the loop no longer takes tasks because the server is stopping.
     */
    boolean post(EngineEventGate gate, int prompt, TokenEvent event) {
        if (loop.isShuttingDown()) {
            return false;
        }
        queue.offer(new Delivery(gate, prompt, event));
        if (scheduled.compareAndSet(false, true)) {
            try {
                loop.execute(drain);
            } catch (RejectedExecutionException e) {
                queue.clear();
                return false;
            }
        }
        return true;
    }

    private void drain() {
        // Cleared before reading, so that an event posted from here on schedules the next drain.
        scheduled.set(false);
        Delivery d;
        while ((d = queue.poll()) != null) {
            try {
                d.gate().deliver(d.prompt(), d.event());
            } catch (RuntimeException e) {
                // One request's failure is its own: the events queued behind it belong to others.
                LOG.warn("engine event for a request could not be handed on", e);
            }
        }
    }
}
