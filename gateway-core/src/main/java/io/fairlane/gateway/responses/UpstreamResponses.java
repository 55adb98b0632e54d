package io.fairlane.gateway.responses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.http.ResponseFilter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What a client of {@code /v1/responses} is sent when an upstream that speaks the Responses API answered: the
 * upstream's own response and events, normalised as the chat relay normalises chat streams. Every event gets an
 * {@code event:} line naming its type and a {@code sequence_number} counted here from 0 (so a stream stays numbered
 * in order whatever the upstream sent, failover included); a stream that ends without {@code response.completed},
 * {@code response.incomplete} or {@code response.failed} ends with an {@code error} event, as one that failed
 * does. The finished response goes to {@code onFinished} (which stores it) when it completed or is incomplete.
 *
 * <p>Confined to the exchange's event loop.
 */
final class UpstreamResponses implements ResponseFilter {

    private static final Set<String> TERMINAL = Set.of("response.completed", "response.incomplete",
            "response.failed");

    private final ByteBufAllocator alloc;
    private final Consumer<ObjectNode> onFinished;
    private int sequence;
    private boolean ended;

    UpstreamResponses(ByteBufAllocator alloc, Consumer<ObjectNode> onFinished) {
        this.alloc = alloc;
        this.onFinished = onFinished;
    }

    @Override
    public ByteBuf body(ByteBuf body) {
        try {
            if (Json.MAPPER.readTree(new ByteBufInputStream(body.duplicate())) instanceof ObjectNode response) {
                finished(response);
            }
        } catch (IOException e) {
            body.release();
            throw new UncheckedIOException(e);
        }
        return body;
    }

    @Override
    public ByteBuf events(ByteBuf events) {
        ByteBuf out = alloc.buffer(events.readableBytes() + 64);
        try {
            for (JsonNode event : SseFrames.data(events)) {
                if (!(event instanceof ObjectNode e) || ended) {
                    continue; // nothing is sent after the end
                }
                String type = e.path("type").asText();
                if (TERMINAL.contains(type)) {
                    ended = true;
                    if (e.get("response") instanceof ObjectNode response && !type.equals("response.failed")) {
                        finished(response);
                    }
                }
                e.put("sequence_number", sequence++);
                SseFrames.write(out, e);
            }
        } catch (RuntimeException e) {
            out.release();
            throw e;
        } finally {
            events.release();
        }
        return out;
    }

    private void finished(ObjectNode response) {
        String status = response.path("status").asText();
        if (status.equals("completed") || status.equals("incomplete")) {
            onFinished.accept(response);
        }
    }

    @Override
    public ByteBuf end() {
        if (ended) {
            return alloc.buffer(0);
        }
        return error(new ApiError(502, "The model server ended the stream before the response was complete.",
                "server_error", null, "upstream_error"));
    }

    @Override
    public ByteBuf error(ApiError error) {
        ended = true;
        ObjectNode e = SseFrames.errorEvent(error);
        e.put("sequence_number", sequence++);
        ByteBuf out = alloc.buffer(256);
        SseFrames.write(out, e);
        return out;
    }

    @Override
    public String toString() {
        return "UpstreamResponses[" + sequence + " events" + (ended ? ", ended" : "") + "]";
    }
}
