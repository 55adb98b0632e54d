package io.fairlane.gateway.lane.local;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.engine.Usage;
import io.fairlane.gateway.config.ServerConfig;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.lane.RequestContext;
import io.fairlane.gateway.openai.TokenUsage;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The response side that chat and legacy completions on the local engine share: the stream's start, each chunk
 * sent under the {@link SlowClientGuard}, output-token marks (TTFT, inter-token latency), and the end: the usage
 * recorded, then either the closing usage chunk (when asked for) and {@code [DONE]}, or the complete JSON.
 *
 * <p>Confined to the exchange's event loop.
 */
final class LocalOutput {

    private final Exchange exchange;
    private final RequestContext context;
    private final boolean stream;
    private final boolean includeUsage;
    private final SlowClientGuard guard;
    private boolean started;

    LocalOutput(Exchange exchange, RequestContext context, boolean stream, boolean includeUsage, ServerConfig server) {
        this.exchange = exchange;
        this.context = context;
        this.stream = stream;
        this.includeUsage = includeUsage;
        this.guard = new SlowClientGuard(exchange, server.maxBufferedOutput(), server.slowClientTimeout().toNanos());
    }

    boolean streaming() {
        return stream;
    }

    /**
     * Starts the response the first time: for a stream, sends its head and then runs {@code firstChunks}; an
     * unstreamed answer has nothing to start. Returns whether this call started it.
     */
    boolean start(Runnable firstChunks) {
        if (started) {
            return false;
        }
        started = true;
        if (stream) {
            exchange.startStream();
            firstChunks.run();
        }
        return true;
    }

    /** Marks an output token: the first sets TTFT; on a stream each later one records its inter-token gap. */
    void markToken() {
        long gap = exchange.markToken();
        if (gap >= 0 && stream) {
            context.meters().interTokenLatency().record(gap, TimeUnit.NANOSECONDS);
        }
    }

    /** Sends one chunk of the stream. */
    void send(ObjectNode chunk) {
        exchange.sendEvent(Json.sseEvent(exchange.alloc(), chunk));
        guard.afterWrite();
    }

    /** Records the tokens the request used (for the access log and the token counters). */
    void recordUsage(TokenUsage usage) {
        guard.cancel();
        exchange.log().recordTokens(usage.promptTokens(), usage.cachedTokens(), usage.completionTokens());
    }

    /** The engine's usage as the gateway accounts it. */
    static TokenUsage usageOf(Usage u) {
        return new TokenUsage(u.promptTokens(), u.cachedTokens(), u.completionTokens(), u.reasoningTokens());
    }

    /**
     * Ends the response with {@code usage} (after {@link #recordUsage}): a stream gets the usage chunk
     * ({@code emptyChunk} with {@code usage} set; only when the client asked) and {@code [DONE]}; an unstreamed
     * answer is {@code body} with {@code usage} set.
     */
    void finish(TokenUsage usage, Supplier<ObjectNode> emptyChunk, Supplier<ObjectNode> body) {
        if (stream) {
            if (includeUsage) {
                ObjectNode last = emptyChunk.get();
                last.putArray("choices");
                last.set("usage", usage.toJson());
                exchange.sendEvent(Json.sseEvent(exchange.alloc(), last));
            }
            exchange.endStream();
            return;
        }
        ObjectNode b = body.get();
        b.set("usage", usage.toJson());
        exchange.respond(HttpResponseStatus.OK, Json.write(exchange.alloc(), b));
    }

    /** The engine failed the request: answer with its error. */
    void fail(Throwable error) {
        guard.cancel();
        exchange.fail(EngineErrors.translate(error));
    }

    /** The client left or the work is being cancelled: stop the slow-client timer. */
    void cancel() {
        guard.cancel();
    }

    /**
     * One choice of a chunk: {@code index}, the given fields, {@code logprobs} and {@code finish_reason} (null
     * when absent), and {@code usage: null} on every chunk when the client asked for usage (OpenAI does so).
     */
    static void choiceTail(ObjectNode chunk, ObjectNode choice, ObjectNode logprobs, String finishReason,
                           boolean includeUsage) {
        if (logprobs == null) {
            choice.putNull("logprobs");
        } else {
            choice.set("logprobs", logprobs);
        }
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        if (includeUsage) {
            chunk.putNull("usage");
        }
    }
}
