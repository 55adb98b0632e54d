package io.fairlane.gateway.batches;

import io.fairlane.gateway.http.InProcessRequests;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link LineDispatcher} for runner tests, answering by a marker in the line's body: {@code "ok"} a chat
 * completion with usage after a millisecond, {@code "e400"} a 400, {@code "e500"} a 500, {@code "busyN"} a 429 for
 * the first N tries then success, {@code "hang"} never. Counts tries per body and calls that were cancelled.
 */
final class ScriptedLines implements LineDispatcher {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    final Map<String, AtomicInteger> tries = new ConcurrentHashMap<>();
    final AtomicInteger dispatched = new AtomicInteger();
    final AtomicInteger cancelled = new AtomicInteger();
    private final long delayMillis;

    ScriptedLines() {
        this(1);
    }

    /** Answers after {@code delayMillis}, so that a batch takes a while. */
    ScriptedLines(long delayMillis) {
        this.delayMillis = delayMillis;
    }

    @Override
    public InProcessRequests.Call dispatch(String tenant, String tier, String endpoint, byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        int attempt = tries.computeIfAbsent(text, k -> new AtomicInteger()).incrementAndGet();
        dispatched.incrementAndGet();
        CompletableFuture<InProcessRequests.Response> answer = new CompletableFuture<>();
        if (!text.contains("hang")) {
            InProcessRequests.Response r;
            if (text.contains("e400")) {
                r = response(400, "{\"error\":{\"message\":\"bad\",\"type\":\"invalid_request_error\",\"param\":null,"
                        + "\"code\":null}}", null);
            } else if (text.contains("e500")) {
                r = response(500, "{\"error\":{\"message\":\"broke\",\"type\":\"server_error\",\"param\":null,"
                        + "\"code\":null}}", null);
            } else if (text.contains("busy") && attempt <= Character.getNumericValue(text.charAt(text.indexOf("busy") + 4))) {
                r = response(429, "{\"error\":{\"message\":\"later\",\"type\":\"requests\",\"param\":null,"
                        + "\"code\":\"rate_limit_exceeded\"}}", "100");
            } else {
                r = response(200, "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[],"
                        + "\"service_tier\":\"" + tier + "\",\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,"
                        + "\"total_tokens\":5}}", null);
            }
            timer.schedule(() -> answer.complete(r), delayMillis, TimeUnit.MILLISECONDS);
        }
        return new InProcessRequests.Call() {
            @Override
            public CompletableFuture<InProcessRequests.Response> response() {
                return answer;
            }

            @Override
            public void cancel() {
                if (answer.completeExceptionally(new java.nio.channels.ClosedChannelException())) {
                    cancelled.incrementAndGet();
                }
            }
        };
    }

    private static InProcessRequests.Response response(int status, String body, String retryAfterMs) {
        HttpHeaders h = new DefaultHttpHeaders();
        h.set("x-request-id", "req_test");
        if (retryAfterMs != null) {
            h.set("retry-after-ms", retryAfterMs);
        }
        return new InProcessRequests.Response(status, h, body.getBytes(StandardCharsets.UTF_8));
    }

    void close() {
        timer.shutdownNow();
    }
}
