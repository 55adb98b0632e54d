package io.fairlane.gateway.config;

import java.time.Duration;
import java.util.Optional;

/**
 * How {@code /v1/batches} runs (the {@code batches} section). Batch lines run through the same lanes and tenant
 * schedulers as interactive requests, at the flex tier; these bounds keep a large batch from flooding a queue.
 *
 * @param maxLines            lines an input file may hold (OpenAI's limit: 50,000)
 * @param maxInputBytes       size an input file may have (OpenAI's limit: 200 MB)
 * @param maxInFlightPerBatch lines of one batch running at once on one gateway process
 * @param maxInFlight         lines of all batches running at once on one gateway process
 * @param maxAttempts         tries of a line that fails on the server's side (5xx, timeout) before its error is
 *                            written to the error file; 429s and 503s wait and retry without counting
 * @param lease               how long a process's claim on lines lasts without renewal: after a crash, another
 *                            replica sharing the store takes the lines over once it lapses (an embedded store
 *                            re-runs them at once on restart)
 */
public record BatchesConfig(int maxLines, long maxInputBytes, int maxInFlightPerBatch, int maxInFlight,
                            int maxAttempts, Duration lease) {

    public static final BatchesConfig DEFAULT = new BatchesConfig(50_000, 200L * 1000 * 1000, 16, 256, 3,
            Duration.ofSeconds(30));

    public BatchesConfig {
        if (maxLines < 1 || maxInputBytes < 1 || maxInFlightPerBatch < 1 || maxInFlight < 1 || maxAttempts < 1) {
            throw new IllegalArgumentException("batch limits must be positive");
        }
        if (lease == null || lease.toMillis() < 1000) {
            throw new IllegalArgumentException("lease must be at least 1s");
        }
    }

    static BatchesConfig read(Optional<ConfigNode> section) {
        if (section.isEmpty()) {
            return DEFAULT;
        }
        ConfigNode n = section.get();
        BatchesConfig d = DEFAULT;
        int lines = (int) n.integer("max_lines", d.maxLines(), 1, 10_000_000);
        long bytes = FilesConfig.positive(n, "max_input_size", d.maxInputBytes());
        int perBatch = (int) n.integer("max_in_flight_per_batch", d.maxInFlightPerBatch(), 1, 100_000);
        int all = (int) n.integer("max_in_flight", d.maxInFlight(), 1, 1_000_000);
        int attempts = (int) n.integer("max_attempts", d.maxAttempts(), 1, 100);
        Duration lease = n.duration("lease", d.lease());
        if (lease.toMillis() < 1000) {
            n.error("lease", "must be at least 1s");
            lease = d.lease();
        }
        n.finish();
        return new BatchesConfig(lines, bytes, perBatch, all, attempts, lease);
    }
}
