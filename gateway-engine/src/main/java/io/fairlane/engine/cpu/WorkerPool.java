package io.fairlane.engine.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool of worker threads for data-parallel loops: {@link #run} hands out task indices to the calling
 * thread and the helpers until all are done, then returns. Tasks are taken dynamically (first come, first
 * served), so a descheduled helper slows a loop down but never stalls it: the caller takes its share.
 *
 * <p>Task indices are claimed from one 64-bit ticket holding (generation, next index), so a helper that wakes
 * late from a finished loop can never take an index of the next one. Idle helpers spin briefly (forward steps
 * come back to back) and then park.
 *
 * <p>{@link #run} is called from one thread at a time (the engine loop); it is not reentrant.
 */
final class WorkerPool implements AutoCloseable {

    /** One unit of a parallel loop. */
    @FunctionalInterface
    interface Task {
        /**
         * @param index  the task index in [0, count)
         * @param worker the executing worker in [0, size()), for per-worker scratch buffers
         */
        void run(int index, int worker);
    }

    private static final long SPIN_NANOS = 50_000;

    private final Thread[] helpers;
    private final AtomicLong ticket = new AtomicLong();
    private final AtomicInteger done = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    /** The loop being run; published with one volatile write so a helper sees task, count and generation together. */
    private volatile Job job = new Job(0, null, 0);
    private volatile Thread waiter;
    private volatile boolean closed;

    WorkerPool(int threads, String name) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, was " + threads);
        }
        helpers = new Thread[threads - 1];
        for (int i = 0; i < helpers.length; i++) {
            int worker = i + 1;
            helpers[i] = Thread.ofPlatform().daemon().name(name + "-" + worker).unstarted(() -> helperLoop(worker));
            helpers[i].start();
        }
    }

    private record Job(int generation, Task task, int count) {
    }

    /** Workers including the calling thread. */
    int size() {
        return helpers.length + 1;
    }

    /** Runs {@code task} for every index in [0, count) and returns when all are done; rethrows a task's failure. */
    void run(int count, Task task) {
        if (count <= 0) {
            return;
        }
        if (helpers.length == 0 || count == 1) {
            for (int i = 0; i < count; i++) {
                task.run(i, 0);
            }
            return;
        }
        if (closed) {
            throw new IllegalStateException("worker pool is closed");
        }
        done.set(0);
        failure.set(null);
        int gen = job.generation() + 1;
        ticket.set((long) gen << 32);
        job = new Job(gen, task, count);
        for (Thread h : helpers) {
            LockSupport.unpark(h);
        }
        work(gen, task, count, 0);
        long start = System.nanoTime();
        while (done.get() < count) {
            if (System.nanoTime() - start < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                waiter = Thread.currentThread();
                if (done.get() < count) {
                    LockSupport.parkNanos(20_000);
                }
                waiter = null;
            }
        }
        job = new Job(gen, null, 0);
        Throwable t = failure.get();
        if (t != null) {
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(t);
        }
    }

    private void work(int gen, Task t, int n, int worker) {
        while (true) {
            long v = ticket.get();
            int index = (int) v;
            if ((int) (v >>> 32) != gen || index >= n) {
                return;
            }
            if (!ticket.compareAndSet(v, v + 1)) {
                continue;
            }
            try {
                t.run(index, worker);
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
            if (done.incrementAndGet() == n) {
                Thread w = waiter;
                if (w != null) {
                    LockSupport.unpark(w);
                }
            }
        }
    }

    private void helperLoop(int worker) {
        int seen = 0;
        while (!closed) {
            long idleSince = System.nanoTime();
            while (job.generation() == seen && !closed) {
                if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            Job j = job;
            seen = j.generation();
            if (j.task() != null) {
                work(j.generation(), j.task(), j.count(), worker);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread h : helpers) {
            LockSupport.unpark(h);
        }
    }
}
