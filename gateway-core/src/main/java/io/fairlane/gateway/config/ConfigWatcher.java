package io.fairlane.gateway.config;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the configuration file when it changes. Watches the file's directory (editors and
 * {@code kubectl} replace files by renaming, which a watch on the file itself would miss), waits for a
 * short quiet period so that a half-written file is not read, and hands a new, fully validated config
 * to the listener. An invalid file is logged with all its errors and the running config stays.
 *
 * <p>Runs on one virtual thread; the listener is called on it.
 */
public final class ConfigWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigWatcher.class);

    private final Path file;
    private final ConfigLoader loader;
    private final Consumer<FairlaneConfig> listener;
    private final Duration quietPeriod;
    private final WatchService watchService;
    private final Thread thread;
    private byte[] lastContent;

    private ConfigWatcher(Path file, ConfigLoader loader, Consumer<FairlaneConfig> listener, Duration quietPeriod)
            throws IOException {
        this.file = file.toAbsolutePath().normalize();
        this.loader = loader;
        this.listener = listener;
        this.quietPeriod = quietPeriod;
        this.lastContent = Files.readAllBytes(this.file);
        this.watchService = this.file.getFileSystem().newWatchService();
        this.file.getParent().register(watchService, StandardWatchEventKinds.ENTRY_CREATE,
                StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
        this.thread = Thread.ofVirtual().name("config-watcher").unstarted(this::run);
    }

    /** Starts watching {@code file}; {@code listener} receives each valid new configuration. */
    public static ConfigWatcher start(Path file, ConfigLoader loader, Consumer<FairlaneConfig> listener,
                                      Duration quietPeriod) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(loader, "loader");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(quietPeriod, "quietPeriod");
        ConfigWatcher w = new ConfigWatcher(file, loader, listener, quietPeriod);
        w.thread.start();
        return w;
    }

    private void run() {
        try {
            while (true) {
                WatchKey key = watchService.take();
                boolean ours = false;
                for (WatchEvent<?> event : key.pollEvents()) {
                    if (event.context() instanceof Path p && p.getFileName().equals(file.getFileName())) {
                        ours = true;
                    } else if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                        ours = true;
                    }
                }
                key.reset();
                if (!ours) {
                    continue;
                }
                // Let a burst of events (truncate, write, rename) settle before reading.
                WatchKey more;
                while ((more = watchService.poll(quietPeriod.toNanos(), TimeUnit.NANOSECONDS)) != null) {
                    more.pollEvents();
                    more.reset();
                }
                reloadIfChanged();
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        }
    }

    /** Reads the file now and applies it when its bytes changed and it is valid. */
    void reloadIfChanged() {
        byte[] content;
        try {
            if (!Files.exists(file)) {
                LOG.warn("configuration {} was removed; keeping the running configuration", file);
                return;
            }
            content = Files.readAllBytes(file);
        } catch (IOException e) {
            LOG.warn("cannot read configuration {}: {}; keeping the running configuration", file, e.toString());
            return;
        }
        if (Arrays.equals(content, lastContent)) {
            return;
        }
        lastContent = content;
        FairlaneConfig config;
        try {
            config = loader.parse(new String(content, java.nio.charset.StandardCharsets.UTF_8), file.toString());
        } catch (ConfigException e) {
            LOG.error("{}\nkeeping the running configuration", e.getMessage());
            return;
        }
        try {
            listener.accept(config);
            LOG.info("configuration reloaded from {}", file);
        } catch (RuntimeException e) {
            LOG.error("applying the reloaded configuration failed; parts may not have changed", e);
        }
    }

    @Override
    public void close() {
        try {
            watchService.close();
        } catch (IOException e) {
            LOG.debug("closing the watch service", e);
        }
        thread.interrupt();
    }
}
