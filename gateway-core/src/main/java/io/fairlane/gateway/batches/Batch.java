package io.fairlane.gateway.batches;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.Json;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A batch as stored ({@code batches_jobs}) and as the API shows it (OpenAI's {@code Batch}). Timestamps are epoch
 * milliseconds here and seconds on the wire.
 *
 * @param id               {@code batch_} and 24 random characters
 * @param tenant           who created it; its lines run as this tenant
 * @param status           where it is in its life ({@link Status})
 * @param endpoint         the endpoint every line is sent to
 * @param inputFileId      the uploaded JSONL file
 * @param completionWindow always {@code 24h}
 * @param tier             the service tier its lines are scheduled in (flex where the tenant may use it)
 * @param model            the model of its first line, once validated
 * @param metadata         the client's key-value pairs, as JSON, or empty
 * @param errors           validation errors ({@code {"object":"list","data":[...]}}), or empty
 * @param outputFileId     results of lines that succeeded, once finished
 * @param errorFileId      results of lines that failed (or never ran), once finished
 * @param outputExpiresAfterSeconds lifetime of the output and error files, or empty for until deleted
 * @param counts           total, completed and failed lines
 * @param usage            tokens the lines used, summed from their answers
 * @param times            the timestamps of its transitions
 */
public record Batch(String id, String tenant, Status status, String endpoint, String inputFileId,
                    String completionWindow, String tier, Optional<String> model, Optional<JsonNode> metadata,
                    Optional<JsonNode> errors, Optional<String> outputFileId, Optional<String> errorFileId,
                    OptionalLong outputExpiresAfterSeconds, Counts counts, Usage usage, Times times) {

    public Batch {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(counts, "counts");
        Objects.requireNonNull(usage, "usage");
        Objects.requireNonNull(times, "times");
    }

    /** OpenAI's batch statuses. */
    public enum Status {
        VALIDATING, FAILED, IN_PROGRESS, FINALIZING, COMPLETED, EXPIRED, CANCELLING, CANCELLED;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Status fromWire(String s) {
            return valueOf(s.toUpperCase(java.util.Locale.ROOT));
        }

        /** Whether nothing more will happen to a batch in this status. */
        public boolean isFinal() {
            return this == FAILED || this == COMPLETED || this == EXPIRED || this == CANCELLED;
        }
    }

    /** Lines in the input, answered with success, answered with an error. */
    public record Counts(long total, long completed, long failed) {
    }

    /** Tokens the lines used, summed from the usage of each answer. */
    public record Usage(long inputTokens, long cachedTokens, long outputTokens, long reasoningTokens) {
        public static final Usage NONE = new Usage(0, 0, 0, 0);

        public Usage plus(Usage o) {
            return new Usage(inputTokens + o.inputTokens, cachedTokens + o.cachedTokens,
                    outputTokens + o.outputTokens, reasoningTokens + o.reasoningTokens);
        }
    }

    /** Epoch milliseconds of each transition that happened. */
    public record Times(long createdAt, long expiresAt, OptionalLong inProgressAt, OptionalLong finalizingAt,
                        OptionalLong completedAt, OptionalLong failedAt, OptionalLong expiredAt,
                        OptionalLong cancellingAt, OptionalLong cancelledAt) {
    }

    /** OpenAI's batch object. */
    public ObjectNode toJson() {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", id);
        o.put("object", "batch");
        o.put("endpoint", endpoint);
        model.ifPresent(m -> o.put("model", m));
        errors.ifPresent(e -> o.set("errors", e));
        o.put("input_file_id", inputFileId);
        o.put("completion_window", completionWindow);
        o.put("status", status.wire());
        optional(o, "output_file_id", outputFileId);
        optional(o, "error_file_id", errorFileId);
        o.put("created_at", times.createdAt() / 1000);
        time(o, "in_progress_at", times.inProgressAt());
        o.put("expires_at", times.expiresAt() / 1000);
        time(o, "finalizing_at", times.finalizingAt());
        time(o, "completed_at", times.completedAt());
        time(o, "failed_at", times.failedAt());
        time(o, "expired_at", times.expiredAt());
        time(o, "cancelling_at", times.cancellingAt());
        time(o, "cancelled_at", times.cancelledAt());
        ObjectNode c = o.putObject("request_counts");
        c.put("total", counts.total());
        c.put("completed", counts.completed());
        c.put("failed", counts.failed());
        if (metadata.isPresent()) {
            o.set("metadata", metadata.get());
        } else {
            o.putNull("metadata");
        }
        ObjectNode u = o.putObject("usage");
        u.put("input_tokens", usage.inputTokens());
        u.putObject("input_tokens_details").put("cached_tokens", usage.cachedTokens());
        u.put("output_tokens", usage.outputTokens());
        u.putObject("output_tokens_details").put("reasoning_tokens", usage.reasoningTokens());
        u.put("total_tokens", usage.inputTokens() + usage.outputTokens());
        return o;
    }

    // OpenAI's schema declares these fields optional but not nullable: an absent value is left out.
    private static void optional(ObjectNode o, String key, Optional<String> value) {
        value.ifPresent(v -> o.put(key, v));
    }

    private static void time(ObjectNode o, String key, OptionalLong millis) {
        if (millis.isPresent()) {
            o.put(key, millis.getAsLong() / 1000);
        }
    }

    @Override
    public String toString() {
        return "Batch[" + id + ", " + status.wire() + ", " + counts + "]";
    }
}
