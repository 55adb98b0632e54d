package io.fairlane.gateway.capture;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends captured exchanges to the capture file, one JSON line each, from one background thread: event
 * loops only enqueue. The queue is bounded; when the disk cannot keep up, records are dropped and counted
 * rather than held without limit. The file is opened on the first record (appending), flushed whenever
 * the queue runs empty, and closed by {@link #close}, which writes what is queued first.
 *
 * <p>Thread-safe: {@link #submit} may be called from any thread.
 */
public final class CaptureRecorder implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CaptureRecorder.class);
    static final int QUEUE = 1024;

    /** What the writer thread takes from the queue: a record, a flush request, or the end. */
    private sealed interface Item permits Record, Flush, End {
    }

    private record Record(CapturedExchange exchange) implements Item {
    }

    private record Flush(CountDownLatch done) implements Item {
    }

    private record End() implements Item {
    }

    private final Path file;
    private final BlockingQueue<Item> queue = new ArrayBlockingQueue<>(QUEUE);
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final Thread writer;
    private volatile boolean closed;

    public CaptureRecorder(Path file) {
        this.file = Objects.requireNonNull(file, "file");
        this.writer = Thread.ofPlatform().daemon().name("fairlane-capture").start(this::run);
    }

    public Path file() {
        return file;
    }

    /** Queues a record; drops it (and says so in the log) when the queue is full or the recorder closed. */
    public void submit(CapturedExchange exchange) {
        Objects.requireNonNull(exchange, "exchange");
        if (closed || !queue.offer(new Record(exchange))) {
            drop("the capture queue is full or closed");
        }
    }

    /** Counts a record that could not be captured; logs the first and every hundredth. */
    void drop(String why) {
        long n = dropped.incrementAndGet();
        if (n == 1 || n % 100 == 0) {
            LOG.warn("capture to {}: {} record(s) dropped so far ({})", file, n, why);
        }
    }

    public long written() {
        return written.get();
    }

    public long dropped() {
        return dropped.get();
    }

    /** Waits until everything queued before this call is on disk (tests, shutdown). */
    public void flush() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        queue.put(new Flush(done));
        if (!done.await(10, TimeUnit.SECONDS)) {
            LOG.warn("capture to {}: flush did not complete in 10 s", file);
        }
    }

    private void run() {
        BufferedWriter out = null;
        try {
            while (true) {
                Item item = queue.take();
                switch (item) {
                    case Record r -> {
                        try {
                            if (out == null) {
                                Files.createDirectories(file.toAbsolutePath().getParent());
                                out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                                        StandardOpenOption.APPEND);
                            }
                            out.write(CaptureLine.format(r.exchange()));
                            out.write('\n');
                            written.incrementAndGet();
                            if (queue.isEmpty()) {
                                out.flush();
                            }
                        } catch (IOException | RuntimeException e) {
                            drop("writing failed: " + e);
                        }
                    }
                    case Flush f -> {
                        flushQuietly(out);
                        f.done().countDown();
                    }
                    case End end -> {
                        flushQuietly(out);
                        return;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (out != null) {
                try {
                    out.close();
                } catch (IOException e) {
                    LOG.warn("closing the capture file {} failed", file, e);
                }
            }
        }
    }

    private void flushQuietly(BufferedWriter out) {
        if (out == null) {
            return;
        }
        try {
            out.flush();
        } catch (IOException e) {
            LOG.warn("flushing the capture file {} failed", file, e);
        }
    }

    /** Writes what is queued, then closes the file. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            queue.put(new End());
            writer.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("capture to {}: {} records written, {} dropped", file, written.get(), dropped.get());
    }
}
