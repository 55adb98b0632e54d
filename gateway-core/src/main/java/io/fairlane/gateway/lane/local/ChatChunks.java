package io.fairlane.gateway.lane.local;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.http.RequestIds;
import java.util.List;

/**
 * The JSON of one local chat completion as OpenAI writes it: every chunk with the same id, created, model,
 * fingerprint and tier; deltas for roles, content and tool calls (the first delta of a call carries its id,
 * type, name and empty arguments); and the complete {@code chat.completion} object. Shapes only: which chunk
 * goes out when is {@link LocalChatRun}'s business.
 */
final class ChatChunks {

    private final String id = RequestIds.generate("chatcmpl-");
    private final long created = System.currentTimeMillis() / 1000;
    private final String model;
    private final String fingerprint;
    private final String tier;
    private final boolean includeUsage;

    ChatChunks(String model, String fingerprint, String tier, boolean includeUsage) {
        this.model = model;
        this.fingerprint = fingerprint;
        this.tier = tier;
        this.includeUsage = includeUsage;
    }

    /** The fields every object of this completion starts with. */
    ObjectNode base(String object) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", id);
        o.put("object", object);
        o.put("created", created);
        o.put("model", model);
        o.put("system_fingerprint", fingerprint);
        o.put("service_tier", tier);
        return o;
    }

    /** A chunk with one choice's delta. */
    ObjectNode chunk(int index, ObjectNode delta, ObjectNode logprobs, String finishReason) {
        ObjectNode o = base("chat.completion.chunk");
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("index", index);
        choice.set("delta", delta);
        LocalOutput.choiceTail(o, choice, logprobs, finishReason, includeUsage);
        return o;
    }

    /** The chunk with which every choice opens: the assistant role and empty content. */
    ObjectNode role(int index) {
        ObjectNode delta = Json.MAPPER.createObjectNode();
        delta.put("role", "assistant");
        delta.put("content", "");
        delta.putNull("refusal");
        return chunk(index, delta, null, null);
    }

    static ObjectNode contentDelta(String text) {
        ObjectNode delta = Json.MAPPER.createObjectNode();
        delta.put("content", text);
        return delta;
    }

    /** A delta of a thinking model's reasoning, apart from its answer's {@code content}. */
    static ObjectNode reasoningDelta(String text) {
        ObjectNode delta = Json.MAPPER.createObjectNode();
        delta.put("reasoning_content", text);
        return delta;
    }

    /** The first delta of tool call {@code callIndex}: its id, type, name and empty arguments. */
    static ObjectNode callStart(int callIndex, String callId, String name) {
        ObjectNode delta = Json.MAPPER.createObjectNode();
        ObjectNode tc = delta.putArray("tool_calls").addObject();
        tc.put("index", callIndex);
        tc.put("id", callId);
        tc.put("type", "function");
        ObjectNode fn = tc.putObject("function");
        fn.put("name", name);
        fn.put("arguments", "");
        return delta;
    }

    /** A later delta of tool call {@code callIndex}: the next piece of its arguments. */
    static ObjectNode callArguments(int callIndex, String arguments) {
        ObjectNode delta = Json.MAPPER.createObjectNode();
        ObjectNode tc = delta.putArray("tool_calls").addObject();
        tc.put("index", callIndex);
        tc.putObject("function").put("arguments", arguments);
        return delta;
    }

    /** A chunk's {@code logprobs} holding one token's entry, or null without one. */
    static ObjectNode logprobsOf(ObjectNode entry) {
        if (entry == null) {
            return null;
        }
        ObjectNode lp = Json.MAPPER.createObjectNode();
        lp.putArray("content").add(entry);
        lp.putNull("refusal");
        return lp;
    }

    /** One choice of the complete {@code chat.completion}, appended to {@code choices}. */
    static void completeChoice(ArrayNode choices, int index, String content, String reasoning,
                               List<ToolCallParser.Call> calls, ArrayNode logprobs, String finishReason) {
        ObjectNode choice = choices.addObject();
        choice.put("index", index);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        if (content.isEmpty() && !calls.isEmpty()) {
            message.putNull("content");
        } else {
            message.put("content", content);
        }
        message.putNull("refusal");
        if (!reasoning.isEmpty()) {
            message.put("reasoning_content", reasoning);
        }
        if (!calls.isEmpty()) {
            ArrayNode out = message.putArray("tool_calls");
            for (ToolCallParser.Call call : calls) {
                ObjectNode tc = out.addObject();
                tc.put("id", call.id());
                tc.put("type", "function");
                ObjectNode fn = tc.putObject("function");
                fn.put("name", call.name());
                fn.put("arguments", call.arguments());
            }
        }
        message.putArray("annotations");
        if (logprobs != null) {
            ObjectNode lp = choice.putObject("logprobs");
            lp.set("content", logprobs);
            lp.putNull("refusal");
        } else {
            choice.putNull("logprobs");
        }
        choice.put("finish_reason", finishReason == null ? "stop" : finishReason);
    }
}
