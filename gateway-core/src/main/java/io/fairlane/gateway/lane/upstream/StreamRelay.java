package io.fairlane.gateway.lane.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.lane.RequestContext;
import io.fairlane.gateway.openai.ServiceTiers;
import io.fairlane.gateway.openai.TokenUsage;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Relays one upstream event stream to the client: splits each read into events ({@link SseDecoder}), repairs them
 * on the way ({@link StreamNormalizer}: its byte-level fast path where it can, the JSON tree where it must), and
 * writes the events of one read as one buffer, so the client gets one write and one HTTP chunk per upstream read.
 * Marks output tokens (TTFT, inter-token latency) as chunks carrying output pass. The client's stream starts with
 * the first event that goes out.
 *
 * <p>It never lets a broken stream pass for a finished one: an event that is not a JSON object, a stream that ends
 * before {@code [DONE]} while some choice has not finished, and a stream that carries more than the request allows
 * ({@link OutputBudget}) each end in an {@link UpstreamAnswerException}, after the events before them went out.
 *
 * <p>Backpressure is the caller's: {@link #feed} answers with the write to wait for before reading on. Confined
 * to the exchange's event loop.
 */
final class StreamRelay implements AutoCloseable {

    private static final int MAX_EVENT = 8 * 1024 * 1024;
    private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);

    /** What one upstream read came to. */
    sealed interface Step {
    }

    /**
     * More to come: read on once {@code lastWrite} completed (at once when null: nothing was written);
     * {@code progressed} when the read held an event with data (comments alone are not progress).
     */
    record More(ChannelFuture lastWrite, boolean progressed) implements Step {
    }

    /** The upstream stream ended and the client's ended with {@code [DONE]}. */
    record Ended() implements Step {
    }

    /** The upstream sent an error event ({@code chunk}); the events before it reached the client. */
    record ErrorEvent(ObjectNode chunk) implements Step {
    }

    private final Exchange exchange;
    private final RequestContext context;
    private final SseDecoder sse;
    private final StreamNormalizer normalizer;
    private final OutputBudget budget;
    /** Whether the stream is the Responses API's, forwarded as it is (chat's repairs do not apply). */
    private final boolean responses;
    private TokenUsage responsesUsage = TokenUsage.NONE;
    private int responsesOutput;
    private boolean responsesEnded;
    private long bytesIn;
    private boolean sawDone;
    private boolean clientStarted;
    private boolean closed;

    /**
     * @param clientModel the name chunks must carry in {@code model}, or null to leave the upstream's
     * @param responses   whether the stream is the Responses API's, passed on as it is
     */
    StreamRelay(Exchange exchange, RequestContext context, boolean clientWantsUsage, String clientModel,
                OutputBudget budget, boolean responses) {
        this.exchange = exchange;
        this.context = context;
        this.budget = budget;
        this.sse = new SseDecoder(exchange.alloc(), MAX_EVENT);
        this.normalizer = new StreamNormalizer(clientWantsUsage, ServiceTiers.wire(context.tier()), clientModel);
        this.responses = responses;
    }

    /**
     * Relays the events of one upstream read.
     *
     * @throws UpstreamAnswerException when the upstream sent something that cannot be passed on; the events before
     *                                 it were written
     */
    Step feed(HttpContent content) {
        bytesIn += content.content().readableBytes();
        List<SseDecoder.Event> events;
        boolean last = content instanceof LastHttpContent;
        try {
            events = sse.feed(content.content());
            if (last) {
                events = new ArrayList<>(events);
                events.addAll(sse.finish());
            }
        } catch (IllegalStateException e) {
            throw new UpstreamAnswerException(UpstreamErrors.unreadable(), e);
        }
        ByteBuf batch = null;
        int committed = 0;
        try {
            for (SseDecoder.Event event : events) {
                if (event.dataIs(DONE)) {
                    sawDone = true;
                    continue;
                }
                if (batch == null) {
                    batch = exchange.alloc().buffer(events.size() * (event.bytes().length + 48));
                }
                boolean errorEvent = "error".equals(event.name());
                if (responses) {
                    if (!(readTree(event.bytes()) instanceof ObjectNode e)) {
                        continue;
                    }
                    if (errorEvent || "error".equals(e.path("type").asText()) || e.has("error") && !e.has("type")) {
                        ByteBuf before = batch;
                        batch = null;
                        write(before);
                        return new ErrorEvent(e);
                    }
                    if (ResponsesEvents.terminal(e)) {
                        responsesUsage = ResponsesEvents.usage(e);
                        responsesEnded = true;
                    }
                    Json.writeSseEvent(batch, e);
                    committed = batch.writerIndex();
                    if (ResponsesEvents.carriesOutput(e)) {
                        responsesOutput++;
                        markOutput();
                    }
                    continue;
                }
                if (errorEvent || !normalizer.passThrough(event.bytes(), batch)) {
                    if (!(readTree(event.bytes()) instanceof ObjectNode chunk)) {
                        throw new UpstreamAnswerException(UpstreamErrors.unreadable());
                    }
                    if (errorEvent || chunk.has("error")) {
                        ByteBuf before = batch;
                        batch = null;
                        write(before);
                        return new ErrorEvent(chunk);
                    }
                    if (normalizer.normalize(chunk) == StreamNormalizer.Verdict.DROP) {
                        continue;
                    }
                    Json.writeSseEvent(batch, chunk);
                }
                budget.check(bytesIn, normalizer.outputChunks(), normalizer.outputChars());
                committed = batch.writerIndex();
                if (normalizer.lastCarriedOutput()) {
                    markOutput();
                }
            }
            budget.check(bytesIn, normalizer.outputChunks(), normalizer.outputChars());
            if (last && (responses ? !responsesEnded : !sawDone && !normalizer.allChoicesFinished())) {
                throw new UpstreamAnswerException(UpstreamErrors.truncated());
            }
        } catch (RuntimeException e) {
            if (batch != null) {
                // The events before the bad one still reach the client, ahead of the error event.
                batch.writerIndex(committed);
                write(batch);
            }
            throw e instanceof UpstreamAnswerException ? e : new UpstreamAnswerException(UpstreamErrors.unreadable(), e);
        }
        ChannelFuture lastWrite = write(batch);
        if (last) {
            startClientStream();
            exchange.endStream(); // flushes the events written above with the terminal [DONE]
            return new Ended();
        }
        if (lastWrite != null) {
            exchange.flush(); // every event of this read in one write to the client's socket
        }
        return new More(lastWrite, !events.isEmpty());
    }

    /** An output-carrying event passed: time to first token, or an inter-token gap. */
    private void markOutput() {
        long gap = exchange.markToken();
        if (gap >= 0) {
            context.meters().interTokenLatency().record(gap, TimeUnit.NANOSECONDS);
        }
    }

    /** Whether the client has been sent anything (after which a failure can no longer fail over). */
    boolean clientStarted() {
        return clientStarted;
    }

    /** The usage the upstream reported, or {@link TokenUsage#NONE} when it has not (yet). */
    TokenUsage usage() {
        if (responses) {
            return responsesUsage;
        }
        JsonNode u = normalizer.usage();
        return u == null ? TokenUsage.NONE : TokenUsage.of(u);
    }

    /** Chunks that carried output so far: a stand-in for completion tokens when the upstream reports none. */
    int outputChunks() {
        return responses ? responsesOutput : normalizer.outputChunks();
    }

    /** The stream's first finish reason, tool names and output size, for a shadow comparison. */
    AnswerSummary summary(int status) {
        return new AnswerSummary(status, normalizer.finishReason(), normalizer.toolNames(), normalizer.outputChars());
    }

    /** Frees the decoder's buffer; usage and output counts stay readable. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            sse.close();
        }
    }

    /** Writes (without flushing) the events gathered in {@code batch}; null when there were none. */
    private ChannelFuture write(ByteBuf batch) {
        if (batch == null) {
            return null;
        }
        if (!batch.isReadable()) {
            batch.release();
            return null;
        }
        startClientStream();
        return exchange.writeEvent(batch);
    }

    private void startClientStream() {
        if (!clientStarted) {
            clientStarted = true;
            exchange.startStream(false); // goes out with the first events' flush
        }
    }

    private static JsonNode readTree(byte[] bytes) {
        try {
            return UpstreamJson.MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new UpstreamAnswerException(UpstreamErrors.unreadable(), e);
        }
    }
}
