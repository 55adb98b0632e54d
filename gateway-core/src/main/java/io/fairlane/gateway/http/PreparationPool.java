package io.fairlane.gateway.http;

import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's one pool for per-request work that grows with the request: parsing a large body, rendering a
 * chat template and tokenising the prompt, handing it to an engine (which hashes its KV blocks), building a
 * large JSON answer. An event loop serves every connection it owns, so a 1.5 MB prompt tokenised on it would
 * hold all of them up; here the loop hands such work over and continues with the result, on the connection's
 * own loop (an {@link Exchange} is confined to it), when it is ready.
 *
 * <p>The workers run at a lower CPU priority ({@link BackgroundPriority}): on a machine short of cores the event
 * loops and the engine's loop get the CPU first, and the pool takes what they leave.
 *
 * <p>Bounded: {@code threads} workers and at most {@code queueCapacity} jobs waiting. A job beyond that is
 * refused at once with 503, {@code retry-after} and a message saying that the prompt-preparation queue is full,
 * rather than piling up memory (each waiting job holds its request body). Work below a size threshold stays on
 * the loop ({@link #run} with {@code inline}): handing it over costs more than doing it, see
 * {@link #PREPARE_INLINE_LIMIT} and {@link #PARSE_INLINE_LIMIT}.
 *
 * <p>Nothing is lost when the client leaves. A job still waiting is taken out of the queue and never runs (its
 * {@link Job#dropped} frees what it captured); a job already running finishes, and its result, finding the
 * exchange ended, goes to {@link Job#discard} (which, for example, cancels the engine request it started) instead
 * of {@link Job#then}.
 *
 * <p>Thread-safe. {@link #run} and {@link #parse} are called on the exchange's event loop.
 */
public final class PreparationPool implements AutoCloseable {

    /**
     * Request bodies up to this size are parsed on the event loop: some tens of microseconds of Jackson at this
     * size, a few hand-overs' worth, and a bound on how long one request can hold up its loop
     * (docs/benchmarks.md, "Event loops under a large-prompt load").
     */
    public static final int PARSE_INLINE_LIMIT = 32 * 1024;

    /**
     * Requests whose body is up to this size render, tokenise and submit their prompt on the event loop: 20 to 60
     * µs for a short chat, against 10 µs or more for the round trip through the pool alone, and a short prompt
     * never waits behind a long one in the pool's queue (docs/benchmarks.md).
     */
    public static final int PREPARE_INLINE_LIMIT = 1024;

    private static final Logger LOG = LoggerFactory.getLogger(PreparationPool.class);

    private final ThreadPoolExecutor executor;
    private final int threads;
    private final int queueCapacity;
    private final LongAdder rejections = new LongAdder();
    private final AtomicBoolean priorityLogged = new AtomicBoolean();

    /**
     * Work handed to the pool and what happens with its result.
     *
     * @param <T> the result
     */
    public interface Job<T> {

        /** Runs on a pool thread (or inline on the loop); must not touch the exchange. */
        T run() throws Exception;

        /** Runs on the exchange's event loop with the result, while the exchange is still open. */
        void then(T result) throws Exception;

        /** Runs instead of {@link #then} when the exchange ended first: free what {@code result} holds. */
        default void discard(T result) {
        }

        /** Runs when {@link #run} never will (client gone while queued, or refused): free what the job holds. */
        default void dropped() {
        }
    }

    /** The work of a job whose result holds nothing to free. */
    @FunctionalInterface
    public interface Work<T> {
        T run() throws Exception;
    }

    /** What to do with such a result on the event loop. */
    @FunctionalInterface
    public interface Then<T> {
        void accept(T result) throws Exception;
    }

    /** Parses a request body (a retained view of it, valid while the parser runs). */
    @FunctionalInterface
    public interface Parser<T> {
        T parse(ByteBuf body) throws Exception;
    }

    /**
     * @param threads       worker threads, at least 1
     * @param queueCapacity jobs that may wait for a worker, at least 1
     */
    public PreparationPool(int threads, int queueCapacity) {
        if (threads < 1 || queueCapacity < 1) {
            throw new IllegalArgumentException("threads and queue must be >= 1, were " + threads + " and "
                    + queueCapacity);
        }
        this.threads = threads;
        this.queueCapacity = queueCapacity;
        AtomicInteger n = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(queueCapacity),
                r -> Thread.ofPlatform().daemon().name("fairlane-prepare-" + n.getAndIncrement()).unstarted(() -> {
                    backgroundPriority();
                    r.run();
                }),
                new ThreadPoolExecutor.AbortPolicy());
    }

    /** Runs first on each worker: yield the CPU to the event loops and the engine when cores are short. */
    private void backgroundPriority() {
        boolean lowered = BackgroundPriority.lowerCurrentThread();
        if (lowered && !priorityLogged.getAndSet(true)) {
            LOG.info("preparation pool: {} threads at nice +{}, queue {}", threads, BackgroundPriority.NICE,
                    queueCapacity);
        } else if (!lowered && !priorityLogged.getAndSet(true)) {
            LOG.info("preparation pool: {} threads at normal priority (could not lower it on this system), queue {}",
                    threads, queueCapacity);
        }
    }

    /** Half the cores, at least one: the event loops and the engine keep the rest. */
    public static int defaultThreads(int cores) {
        return Math.max(1, cores / 2);
    }

    /** {@link #run} for a result that holds nothing to free. */
    public <T> void run(Exchange exchange, boolean inline, Work<T> work, Then<T> then) throws Exception {
        run(exchange, inline, new Job<T>() {
            @Override
            public T run() throws Exception {
                return work.run();
            }

            @Override
            public void then(T result) throws Exception {
                then.accept(result);
            }
        });
    }

    /**
     * Parses the exchange's body with {@code parser}, on the loop when the body is at most
     * {@link #PARSE_INLINE_LIMIT} bytes, else in the pool, and continues with {@code then} on the loop.
     */
    public <T> void parse(Exchange exchange, Parser<T> parser, Then<T> then) throws Exception {
        if (exchange.body().readableBytes() <= PARSE_INLINE_LIMIT) {
            then.accept(parser.parse(exchange.body()));
            return;
        }
        ByteBuf body = exchange.body().retainedDuplicate(); // outlives the exchange if the client leaves
        run(exchange, false, new Job<T>() {
            @Override
            public T run() throws Exception {
                try {
                    return parser.parse(body);
                } finally {
                    body.release();
                }
            }

            @Override
            public void then(T result) throws Exception {
                then.accept(result);
            }

            @Override
            public void dropped() {
                body.release();
            }
        });
    }

    /**
     * Runs {@code job}: at once on the calling loop when {@code inline}, else in the pool and then on the
     * exchange's loop. Call on the exchange's event loop.
     *
     * @throws ApiException 503 when the queue is full or the pool is shut down (the job was dropped); inline,
     *                      whatever the job throws (its result discarded if {@link Job#then} threw)
     */
    public <T> void run(Exchange exchange, boolean inline, Job<T> job) throws Exception {
        if (inline) {
            T result = job.run();
            try {
                job.then(result);
            } catch (Throwable t) {
                discard(job, result);
                throw t;
            }
            return;
        }
        Task<T> task = new Task<>(exchange, job);
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            drop(job);
            if (executor.isShutdown()) {
                throw ApiException.unavailable("The server is shutting down; retry on another instance.", 1);
            }
            rejections.increment();
            throw ApiException.unavailable("The gateway's prompt-preparation queue is full (" + queueCapacity
                    + " requests waiting for " + threads + " threads); retry shortly.", 1);
        }
        exchange.onClientGone(task::clientGone);
    }

    /** Jobs waiting for a worker. */
    public int queueDepth() {
        return executor.getQueue().size();
    }

    /** Workers running a job now. */
    public int active() {
        return executor.getActiveCount();
    }

    /** Jobs refused because the queue was full, since start. */
    public long rejections() {
        return rejections.sum();
    }

    public int threads() {
        return threads;
    }

    public int queueCapacity() {
        return queueCapacity;
    }

    /** Stops the workers; waiting jobs are dropped, running ones get a moment to finish. */
    @Override
    public void close() {
        List<Runnable> waiting = executor.shutdownNow();
        for (Runnable r : waiting) {
            if (r instanceof Task<?> t) {
                t.clientGone();
            }
        }
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static <T> void discard(Job<T> job, T result) {
        try {
            job.discard(result);
        } catch (RuntimeException e) {
            LOG.warn("discarding a prepared result failed", e);
        }
    }

    private static void drop(Job<?> job) {
        try {
            job.dropped();
        } catch (RuntimeException e) {
            LOG.warn("dropping a waiting job failed", e);
        }
    }

    /**
     * One job in the pool. Exactly one of "run" and "dropped" happens: a worker and a leaving client race for
     * the job through {@link #state}, and whichever moves it out of {@code QUEUED} first decides.
     */
    private final class Task<T> implements Runnable {

        private static final int QUEUED = 0;
        private static final int RUNNING = 1;
        private static final int DROPPED = 2;

        private final Exchange exchange;
        private final Job<T> job;
        private final AtomicInteger state = new AtomicInteger(QUEUED);

        Task(Exchange exchange, Job<T> job) {
            this.exchange = exchange;
            this.job = job;
        }

        @Override
        public void run() {
            if (!state.compareAndSet(QUEUED, RUNNING)) {
                return;
            }
            T result = null;
            Throwable failure = null;
            try {
                result = job.run();
            } catch (Throwable t) {
                failure = t;
            }
            T r = result;
            Throwable f = failure;
            if (!exchange.tryExecute(() -> deliver(r, f)) && f == null) {
                discard(job, r); // the event loop is gone, and the exchange with it
            }
        }

        /** On the exchange's loop. */
        private void deliver(T result, Throwable failure) {
            if (exchange.isDone()) {
                if (failure == null) {
                    discard(job, result);
                }
                return;
            }
            if (failure != null) {
                exchange.fail(failure);
                return;
            }
            try {
                job.then(result);
            } catch (Throwable t) {
                discard(job, result);
                exchange.fail(t);
            }
        }

        /** The client left (on its loop), or the pool is closing: a job still waiting never runs. */
        void clientGone() {
            if (state.compareAndSet(QUEUED, DROPPED)) {
                executor.remove(this);
                drop(job);
            }
        }
    }
}
