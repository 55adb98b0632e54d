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
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Relays one upstream event stream to the client: splits each read into events ({@link SseDecoder}, which hands
 * each over in its own buffer), repairs them on the way ({@link StreamNormalizer}: its byte-level fast path where
 * it can, the JSON tree where it must), and writes the events of one read as one buffer, so the client gets one
 * write and one HTTP chunk per upstream read; the reads of one event-loop tick share one flush, but for the
 * first output, which goes at once. On the chat path nothing is allocated per event but the bytes appended to
 * that buffer. Marks output tokens (TTFT, inter-token latency) once per read. The client's stream starts with
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
    private final SseDecoder.Receiver receiver = this::event;
    private final Runnable flushTask = this::scheduledFlush;
    private boolean flushScheduled;
    /** Whether the client has been sent an output chunk: until then every flush goes out at once. */
    private boolean outputFlushed;
    // The read being relayed: the events written so far, how much of that is whole events, the events with data
    // it held, the chunks that carried output, and the error event that ended it.
    private ByteBuf batch;
    private int committed;
    private int batchSize;
    private int events;
    private int outputs;
    private ObjectNode errorChunk;

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
        ByteBuf in = content.content();
        bytesIn += in.readableBytes();
        boolean last = content instanceof LastHttpContent;
        // Sized for the read as it came: the events go out about as large (plus a tier each, at most).
        batchSize = in.readableBytes() + (in.readableBytes() >> 3) + 64;
        events = 0;
        outputs = 0;
        errorChunk = null;
        try {
            sse.feed(in, receiver);
            if (last && errorChunk == null) {
                sse.finish(receiver);
            }
            if (errorChunk == null) {
                budget.check(bytesIn, normalizer.outputChunks(), normalizer.outputChars());
                if (last && (responses ? !responsesEnded : !sawDone && !normalizer.allChoicesFinished())) {
                    throw new UpstreamAnswerException(UpstreamErrors.truncated());
                }
            }
        } catch (RuntimeException e) {
            if (batch != null) {
                // The events before the bad one still reach the client, ahead of the error event.
                batch.writerIndex(committed);
                markOutput();
                write(takeBatch());
            }
            throw e instanceof UpstreamAnswerException ? e : new UpstreamAnswerException(UpstreamErrors.unreadable(), e);
        }
        markOutput();
        ChannelFuture lastWrite = write(takeBatch());
        if (errorChunk != null) {
            return new ErrorEvent(errorChunk);
        }
        if (last) {
            startClientStream();
            exchange.endStream(); // flushes the events written above with the terminal [DONE]
            return new Ended();
        }
        if (lastWrite != null) {
            if (outputFlushed) {
                flushWithinTick(); // one flush for all the upstream reads this event-loop tick handles
            } else {
                exchange.flush(); // the first token waits for nothing
                outputFlushed = outputs > 0;
            }
        }
        return new More(lastWrite, events > 0);
    }

    /**
     * One event of the read, in the decoder's buffer (valid during the call only): appended to the batch, repaired
     * on the way if it must; an error event is kept in {@link #errorChunk} and ends the read.
     */
    private void event(String name, byte[] data, int length) {
        events++;
        if (errorChunk != null) {
            return;
        }
        if (length == DONE.length && Arrays.equals(data, 0, length, DONE, 0, length)) {
            sawDone = true;
            return;
        }
        if (batch == null) {
            batch = exchange.alloc().buffer(Math.max(batchSize, length + 64));
        }
        boolean errorEvent = "error".equals(name);
        if (responses) {
            responsesEvent(errorEvent, data, length);
            return;
        }
        if (errorEvent || !normalizer.passThrough(data, length, batch)) {
            if (!(readTree(data, length) instanceof ObjectNode chunk)) {
                throw new UpstreamAnswerException(UpstreamErrors.unreadable());
            }
            if (errorEvent || chunk.has("error")) {
                errorChunk = chunk;
                return;
            }
            if (normalizer.normalize(chunk) == StreamNormalizer.Verdict.DROP) {
                return;
            }
            Json.writeSseEvent(batch, chunk);
        }
        budget.check(bytesIn, normalizer.outputChunks(), normalizer.outputChars());
        committed = batch.writerIndex();
        if (normalizer.lastCarriedOutput()) {
            outputs++;
        }
    }

    /** A Responses API event, passed on as it is; its terminal event carries the usage. */
    private void responsesEvent(boolean errorEvent, byte[] data, int length) {
        if (!(readTree(data, length) instanceof ObjectNode e)) {
            return;
        }
        if (errorEvent || "error".equals(e.path("type").asText()) || e.has("error") && !e.has("type")) {
            errorChunk = e;
            return;
        }
        if (ResponsesEvents.terminal(e)) {
            responsesUsage = ResponsesEvents.usage(e);
            responsesEnded = true;
        }
        Json.writeSseEvent(batch, e);
        committed = batch.writerIndex();
        if (ResponsesEvents.carriesOutput(e)) {
            responsesOutput++;
            outputs++;
        }
    }

    /**
     * Marks the read's output events with one clock reading: they reached the gateway together and leave in one
     * write. The inter-token timer gets one sample per read that carried output, the wait since the last one.
     */
    private void markOutput() {
        if (outputs > 0) {
            long gap = exchange.log().markTokens(System.nanoTime(), exchange.startNanos(), outputs);
            outputs = 0;
            if (gap >= 0) {
                context.meters().interTokenLatency().record(gap, TimeUnit.NANOSECONDS);
            }
        }
    }

    /**
     * Flushes once the event loop has handled the rest of this tick's I/O: an upstream read that the decoder
     * hands over in several pieces (an HTTP chunk each, or a large read cut to size) asks after each piece, and
     * the client's socket gets one write for all of them. The delay is bounded by the tick's other I/O.
     */
    private void flushWithinTick() {
        if (!flushScheduled) {
            flushScheduled = true;
            exchange.eventLoop().execute(flushTask);
        }
    }

    private void scheduledFlush() {
        flushScheduled = false;
        exchange.flush();
    }

    private ByteBuf takeBatch() {
        ByteBuf b = batch;
        batch = null;
        committed = 0;
        return b;
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
        return normalizer.usage();
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
            ByteBuf b = takeBatch();
            if (b != null) {
                b.release();
            }
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

    private static JsonNode readTree(byte[] bytes, int length) {
        try {
            return UpstreamJson.MAPPER.readTree(bytes, 0, length);
        } catch (IOException e) {
            throw new UpstreamAnswerException(UpstreamErrors.unreadable(), e);
        }
    }
}
