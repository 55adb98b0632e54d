package io.fairlane.engine.runtime;

import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * Aborts on their way to the loop. Any thread may {@link #request} one: it marks the work and queues it, and
 * the loop acts on it before planning its next step ({@link #drain}), so a running request's blocks are freed
 * by the thread that owns them.
 *
 * <p>Thread-safe: the queue is shared between requesting threads and the loop thread, which alone drains it.
 */
final class AbortRequests {

    private final ConcurrentLinkedQueue<Work> pending = new ConcurrentLinkedQueue<>();
    private final Runnable wakeLoop;

    /** @param wakeLoop unparks the loop thread, so an idle loop sees the abort at once */
    AbortRequests(Runnable wakeLoop) {
        this.wakeLoop = Objects.requireNonNull(wakeLoop, "wakeLoop");
    }

    /** From any thread: marks {@code work} aborted and hands it to the loop. */
    void request(Work work) {
        work.requestAbort();
        pending.add(work);
        wakeLoop.run();
    }

    /** From the loop thread: marks {@code work} aborted, to be acted on at the start of the next turn. */
    void requestFromLoop(Work work) {
        work.requestAbort();
        pending.add(work);
    }

    /** From the loop thread: looks at {@code work} again on the next turn (it was not ready to abort yet). */
    void retry(Work work) {
        pending.add(work);
    }

    /**
     * From the loop thread: hands each abort queued before this call to {@code action}; those queued meanwhile
     * (including retries) wait for the next turn.
     */
    void drain(Consumer<Work> action) {
        for (int left = pending.size(); left > 0; left--) {
            Work work = pending.poll();
            if (work == null) {
                return;
            }
            action.accept(work);
        }
    }

    @Override
    public String toString() {
        return "AbortRequests[" + pending.size() + " pending]";
    }
}
