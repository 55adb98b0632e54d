package io.fairlane.gateway.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where traffic capture writes (see {@code io.fairlane.gateway.capture}). Nothing is recorded unless a tenant
 * opts in with {@code capture: true}; this section only says where and how much.
 *
 * @param file         the JSON Lines file records are appended to; required when any tenant opts in
 * @param maxBodyBytes an exchange whose request or response body is larger is not recorded (and counted in the log)
 */
public record CaptureConfig(Optional<Path> file, long maxBodyBytes) {

    public static final CaptureConfig NONE = new CaptureConfig(Optional.empty(), 1L << 20);

    public CaptureConfig {
        Objects.requireNonNull(file, "file");
        if (maxBodyBytes < 1) {
            throw new IllegalArgumentException("maxBodyBytes must be at least 1, was " + maxBodyBytes);
        }
    }
}
