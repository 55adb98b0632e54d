package io.fairlane.gateway.http;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Readiness, draining and the count of requests in progress, shared by every connection. Thread-safe.
 *
 * <p>Shutdown goes: {@link #beginDrain()} (readiness false, new requests refused, keep-alive connections
 * told to close), then {@link #awaitIdle} until in-flight requests have finished or the deadline passed.
 */
public final class ServerState {

    private final AtomicInteger inFlight = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private volatile boolean ready;
    private volatile boolean draining;

    public boolean isReady() {
        return ready && !draining;
    }

    public void setReady(boolean value) {
        ready = value;
    }

    public boolean isDraining() {
        return draining;
    }

    public void beginDrain() {
        draining = true;
    }

    public int inFlight() {
        return inFlight.get();
    }

    void requestStarted() {
        inFlight.incrementAndGet();
    }

    void requestEnded() {
        if (inFlight.decrementAndGet() == 0) {
            lock.lock();
            try {
                idle.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Waits until no request is in progress or {@code deadline} passed; true when idle. */
    public boolean awaitIdle(Duration deadline) throws InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        lock.lock();
        try {
            while (inFlight.get() > 0) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                // Bounded wait: a request ending between the check and the wait must not cost the deadline.
                idle.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
            }
            return true;
        } finally {
            lock.unlock();
        }
    }
}
