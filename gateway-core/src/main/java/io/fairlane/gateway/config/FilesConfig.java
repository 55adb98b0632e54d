package io.fairlane.gateway.config;

import java.time.Duration;
import java.util.Optional;

/**
 * Limits of {@code /v1/files} (the {@code files} section). Uploads stream to storage and are counted as they arrive,
 * so a limit stops an upload at the byte that crosses it, not after the whole body was received.
 *
 * @param maxFileBytes         largest file accepted in one upload (413 beyond)
 * @param maxBytesPerTenant    all of a tenant's stored files together, uploads and batch results (an upload that
 *                             would cross it is refused with 400)
 * @param uploadMinBytesPerSec an upload slower than this, averaged over each {@code uploadRateWindow}, is cut off
 *                             with 408: the body deadline of the streaming route, so a client trickling bytes
 *                             cannot hold a connection and an upload slot for ever
 * @param uploadRateWindow     the window over which the upload rate is measured
 */
public record FilesConfig(long maxFileBytes, long maxBytesPerTenant, long uploadMinBytesPerSec,
                          Duration uploadRateWindow) {

    public static final FilesConfig DEFAULT = new FilesConfig(512L << 20, 10L << 30, 16L << 10,
            Duration.ofSeconds(10));

    public FilesConfig {
        if (maxFileBytes < 1 || maxBytesPerTenant < 1 || uploadMinBytesPerSec < 0) {
            throw new IllegalArgumentException("file limits must be positive");
        }
        if (uploadRateWindow == null || uploadRateWindow.isNegative() || uploadRateWindow.isZero()) {
            throw new IllegalArgumentException("uploadRateWindow must be positive");
        }
    }

    static FilesConfig read(Optional<ConfigNode> section) {
        if (section.isEmpty()) {
            return DEFAULT;
        }
        ConfigNode n = section.get();
        FilesConfig d = DEFAULT;
        long maxFile = positive(n, "max_file_size", d.maxFileBytes());
        long perTenant = positive(n, "max_storage_per_tenant", d.maxBytesPerTenant());
        long minRate = n.bytes("upload_min_rate", d.uploadMinBytesPerSec());
        if (minRate < 0) {
            n.error("upload_min_rate", "must not be negative");
            minRate = d.uploadMinBytesPerSec();
        }
        Duration window = n.duration("upload_rate_window", d.uploadRateWindow());
        if (window.isZero() || window.isNegative()) {
            n.error("upload_rate_window", "must be longer than 0");
            window = d.uploadRateWindow();
        }
        n.finish();
        return new FilesConfig(maxFile, perTenant, minRate, window);
    }

    static long positive(ConfigNode n, String key, long fallback) {
        long v = n.bytes(key, fallback);
        if (v <= 0) {
            n.error(key, "must be more than 0 bytes, was " + v);
            return fallback;
        }
        return v;
    }
}
