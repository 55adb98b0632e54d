package io.fairlane.gateway.batches;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.gateway.http.InProcessRequests;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * What becomes of a batch line once its request ended: an answer for the output file, an answer for the error file,
 * or another try later. The rules:
 *
 * <ul>
 *   <li>2xx: answered, to the output file, with the usage it reports.</li>
 *   <li>429 and 503 (a queue or rate limit is full, the gateway is draining, the upstream is busy): tried again after
 *       the {@code retry-after} the answer gives (1 s without one, at most a minute), without using up an attempt:
 *       a batch waits for capacity, it does not fail for lack of it.</li>
 *   <li>Other 5xx, and requests that ended without an answer: tried again with growing pauses while attempts are
 *       left, then answered to the error file.</li>
 *   <li>Other 4xx: answered to the error file at once (the request itself is wrong; running it again changes
 *       nothing).</li>
 *   <li>Requests the runner abandoned itself (a cancel, an expiry, shutdown): put back without using an attempt.</li>
 * </ul>
 */
final class LineOutcomes {

    /** The outcome of one line: either an answer or a retry. */
    sealed interface Outcome permits Answered, Again {
    }

    record Answered(BatchLines.Answer answer) implements Outcome {
    }

    record Again(BatchLines.Retry retry) implements Outcome {
    }

    static final long MAX_PAUSE_MILLIS = 60_000;

    private LineOutcomes() {
    }

    static Outcome of(BatchLines.Claimed line, InProcessRequests.Response response, Throwable error,
                      boolean abandoned, int maxAttempts, long now) {
        if (abandoned) {
            return new Again(new BatchLines.Retry(line.batchId(), line.lineNo(), now, false));
        }
        boolean attemptsLeft = line.attempts() + 1 < maxAttempts;
        if (response == null) {
            if (attemptsLeft) {
                return new Again(new BatchLines.Retry(line.batchId(), line.lineNo(), now + backoff(line.attempts()),
                        true));
            }
            String message = "The request failed without an answer after " + maxAttempts + " attempts"
                    + (error == null ? "." : ": " + error.getClass().getSimpleName() + ".");
            return new Answered(new BatchLines.Answer(line.batchId(), line.lineNo(), false,
                    OutputLines.unanswered(line.customId(), "server_error", message), Batch.Usage.NONE));
        }
        int status = response.status();
        if (status == 429 || status == 503) {
            return new Again(new BatchLines.Retry(line.batchId(), line.lineNo(), now + retryAfter(response.headers()),
                    false));
        }
        if (status >= 500 && attemptsLeft) {
            return new Again(new BatchLines.Retry(line.batchId(), line.lineNo(), now + backoff(line.attempts()), true));
        }
        JsonNode body = OutputLines.parse(response.body());
        boolean ok = status >= 200 && status < 300;
        String requestId = response.headers().get("x-request-id", "");
        return new Answered(new BatchLines.Answer(line.batchId(), line.lineNo(), ok,
                OutputLines.answered(line.customId(), status, requestId, response.body(), body != null),
                ok ? OutputLines.usage(body) : Batch.Usage.NONE));
    }

    /** 1 s, 2 s, 4 s, ... up to a minute. */
    static long backoff(int attempts) {
        return Math.min(MAX_PAUSE_MILLIS, 1000L << Math.min(16, attempts));
    }

    /** The pause an answer asks for: {@code retry-after-ms}, then {@code retry-after} seconds; 1 s without. */
    static long retryAfter(HttpHeaders headers) {
        long millis = 1000;
        try {
            String ms = headers.get("retry-after-ms");
            String s = headers.get("retry-after");
            if (ms != null) {
                millis = (long) Double.parseDouble(ms);
            } else if (s != null) {
                millis = (long) (Double.parseDouble(s) * 1000);
            }
        } catch (NumberFormatException e) {
            millis = 1000;
        }
        return Math.max(100, Math.min(MAX_PAUSE_MILLIS, millis));
    }
}
