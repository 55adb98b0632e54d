package io.fairlane.gateway.files;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes files whose {@code expires_at} has passed (batch inputs after 30 days, files uploaded with
 * {@code expires_after}, batch results with {@code output_expires_after}), every few minutes, on a virtual thread.
 * With several replicas each sweeps; deleting is a conditional delete of the row, so a file goes once.
 */
public final class ExpirySweeper implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ExpirySweeper.class);
    static final Duration EVERY = Duration.ofMinutes(5);

    private final Thread thread;

    private ExpirySweeper(Thread thread) {
        this.thread = thread;
    }

    /** Starts sweeping once {@code store} is open. */
    public static ExpirySweeper start(CompletableFuture<FileStore> store) {
        return new ExpirySweeper(Thread.ofVirtual().name("file-expiry").start(() -> {
            FileStore files;
            try {
                files = store.join();
            } catch (RuntimeException e) {
                return; // durable state unavailable: nothing to sweep
            }
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    int n;
                    do {
                        n = files.deleteExpired(System.currentTimeMillis());
                        if (n > 0) {
                            LOG.info("deleted {} expired files", n);
                        }
                    } while (n > 0 && !Thread.currentThread().isInterrupted());
                    Thread.sleep(EVERY);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    LOG.warn("sweeping expired files failed; trying again in {}", EVERY, e);
                    try {
                        Thread.sleep(EVERY);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }));
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
