package io.fairlane.gateway.lane.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * A complete (unstreamed) upstream answer as it arrives, bounded by the request's {@link OutputBudget}, and what
 * it can become: the repaired JSON for the client ({@link ResponseRepair}), the event stream a client that asked
 * for one gets from an upstream that ignored {@code stream} ({@link JsonAsStream}), or an error answer's body.
 * Holds its bytes until {@link #close()}. Confined to the exchange's event loop.
 */
final class BufferedAnswer implements AutoCloseable {

    private final ByteBufAllocator alloc;
    private final OutputBudget budget;
    private final CompositeByteBuf bytes;
    private boolean closed;

    BufferedAnswer(ByteBufAllocator alloc, OutputBudget budget) {
        this.alloc = alloc;
        this.budget = budget;
        this.bytes = alloc.compositeBuffer(16);
    }

    /** Adds a piece of the body (retained here). @throws UpstreamAnswerException past the byte budget */
    void add(ByteBuf piece) {
        if ((long) bytes.readableBytes() + piece.readableBytes() > budget.maxBytes()) {
            throw new UpstreamAnswerException(UpstreamErrors.tooLarge(budget.maxBytes()));
        }
        if (piece.isReadable()) {
            bytes.addComponent(true, piece.retain());
        }
    }

    /** The body as JSON, or null when it is empty or not JSON. */
    JsonNode json() {
        return UpstreamErrors.parse(bytes);
    }

    /** A Responses API object as it came, with the usage it reports, or null when it is not JSON. */
    ResponseRepair.Repaired asIs() {
        JsonNode answer = json();
        return answer == null ? null
                : new ResponseRepair.Repaired(bytes.retainedDuplicate(), ResponsesEvents.usage(answer), true);
    }

    /** The answer repaired for the client, or null when it is not a JSON object. */
    ResponseRepair.Repaired repair(String tier, boolean choices, String clientModel) {
        return ResponseRepair.of(bytes, tier, choices, clientModel, alloc);
    }

    /** The answer as server-sent events (without {@code [DONE]}), or null when it is not a completion. */
    ByteBuf asStream(StreamNormalizer normalizer) {
        return json() instanceof ObjectNode response ? JsonAsStream.events(response, normalizer, alloc) : null;
    }

    /** {@code retry-after-ms}, else {@code retry-after} (seconds or an HTTP date), in nanos; -1 when absent or bad. */
    static long retryAfterNanos(HttpHeaders headers) {
        String ms = headers.get("retry-after-ms");
        if (ms != null) {
            try {
                double v = Double.parseDouble(ms.trim());
                return v >= 0 && v < 1e9 ? (long) (v * 1_000_000) : -1;
            } catch (NumberFormatException e) {
                // fall through to retry-after
            }
        }
        String ra = headers.get("retry-after");
        if (ra == null) {
            return -1;
        }
        try {
            double seconds = Double.parseDouble(ra.trim());
            return seconds >= 0 && seconds < 1e6 ? (long) (seconds * 1e9) : -1;
        } catch (NumberFormatException e) {
            try {
                Instant at = ZonedDateTime.parse(ra.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                return Math.max(0, at.toEpochMilli() - System.currentTimeMillis()) * 1_000_000;
            } catch (DateTimeParseException e2) {
                return -1;
            }
        }
    }

    /** Whether an error answer says the prompt is too long for the model's context window. */
    static boolean contextLengthExceeded(JsonNode answer) {
        JsonNode e = answer == null ? null : answer.path("error");
        if (e == null || !e.isObject()) {
            return false;
        }
        String code = e.path("code").asText("");
        String message = e.path("message").asText("").toLowerCase(java.util.Locale.ROOT);
        return code.equals("context_length_exceeded") || message.contains("maximum context length")
                || message.contains("context window") || message.contains("context length");
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            bytes.release();
        }
    }
}
