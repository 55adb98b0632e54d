package io.fairlane.gateway.lane.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.Json;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * A complete answer turned into the event stream the client asked for, for an upstream that answers
 * {@code stream: true} with one JSON object (some servers ignore {@code stream}). A chat completion becomes, per
 * choice, a chunk with the role and the whole content (and refusal, reasoning and tool calls, each call with its
 * index, id, type, name and arguments), then a chunk with its finish reason; a legacy completion one chunk per
 * choice with its text and finish reason. Every chunk passes through the stream's {@link StreamNormalizer}, so
 * usage, tier and model are stated as for a relayed stream; the caller adds {@code [DONE]}.
 */
final class JsonAsStream {

    private JsonAsStream() {
    }

    /**
     * The events for {@code response}, or null when it is not a chat or legacy completion.
     *
     * @param normalizer the stream's normaliser (it records usage and output as the chunks pass)
     */
    static ByteBuf events(ObjectNode response, StreamNormalizer normalizer, ByteBufAllocator alloc) {
        String object = response.path("object").asText("");
        boolean chat = object.equals("chat.completion");
        if (!chat && !object.equals("text_completion")) {
            return null;
        }
        if (!(response.get("choices") instanceof ArrayNode choices)) {
            return null;
        }
        List<ObjectNode> chunks = new ArrayList<>();
        for (JsonNode c : choices) {
            if (!(c instanceof ObjectNode choice)) {
                return null;
            }
            if (chat) {
                chunks.add(chunk(response, choice, delta(choice.path("message")), null, "chat.completion.chunk"));
                chunks.add(chunk(response, choice, Json.MAPPER.createObjectNode(), choice.get("finish_reason"),
                        "chat.completion.chunk"));
            } else {
                ObjectNode one = chunk(response, choice, null, choice.get("finish_reason"), "text_completion");
                ((ObjectNode) one.withArray("choices").get(0)).set("text", choice.path("text"));
                chunks.add(one);
            }
        }
        if (response.get("usage") instanceof ObjectNode usage) {
            ObjectNode last = base(response, chat ? "chat.completion.chunk" : "text_completion");
            last.putArray("choices");
            last.set("usage", usage);
            chunks.add(last);
        }
        ByteBuf out = alloc.buffer(1024);
        try {
            for (ObjectNode chunk : chunks) {
                if (normalizer.normalize(chunk) == StreamNormalizer.Verdict.SEND) {
                    Json.writeSseEvent(out, chunk);
                }
            }
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
        return out;
    }

    private static ObjectNode delta(JsonNode message) {
        ObjectNode d = Json.MAPPER.createObjectNode();
        d.put("role", message.path("role").asText("assistant"));
        for (String field : new String[] {"content", "refusal", "reasoning_content"}) {
            if (message.path(field).isTextual()) {
                d.put(field, message.get(field).asText());
            }
        }
        if (message.get("tool_calls") instanceof ArrayNode calls && !calls.isEmpty()) {
            ArrayNode out = d.putArray("tool_calls");
            int i = 0;
            for (JsonNode call : calls) {
                ObjectNode o = out.addObject();
                o.put("index", i++);
                if (call.path("id").isTextual()) {
                    o.put("id", call.get("id").asText());
                }
                o.put("type", "function");
                ObjectNode fn = o.putObject("function");
                fn.put("name", call.path("function").path("name").asText(""));
                fn.put("arguments", call.path("function").path("arguments").asText(""));
            }
        }
        return d;
    }

    private static ObjectNode chunk(ObjectNode response, ObjectNode choice, ObjectNode delta, JsonNode finish,
                                    String object) {
        ObjectNode chunk = base(response, object);
        ObjectNode c = chunk.putArray("choices").addObject();
        c.put("index", choice.path("index").asInt(0));
        if (delta != null) {
            c.set("delta", delta);
        }
        if (choice.has("logprobs") && delta != null && !delta.isEmpty()) {
            c.set("logprobs", choice.get("logprobs"));
        } else {
            c.putNull("logprobs");
        }
        if (finish != null && !finish.isNull() && (delta == null || delta.isEmpty())) {
            c.set("finish_reason", finish);
        } else {
            c.putNull("finish_reason");
        }
        return chunk;
    }

    private static ObjectNode base(ObjectNode response, String object) {
        ObjectNode chunk = Json.MAPPER.createObjectNode();
        chunk.set("id", response.path("id"));
        chunk.put("object", object);
        chunk.set("created", response.path("created"));
        chunk.set("model", response.path("model"));
        if (response.has("system_fingerprint")) {
            chunk.set("system_fingerprint", response.get("system_fingerprint"));
        }
        return chunk;
    }
}
