package io.fairlane.gateway.responses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.http.RequestIds;
import io.fairlane.gateway.http.ResponseFilter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Turns a chat completion, as either lane writes it, into the Responses API's answer on its way to the client.
 *
 * <p>Unstreamed, the {@code chat.completion} becomes one response object: a {@code reasoning} item for the model's
 * thinking ({@code reasoning_content}), a {@code message} with the answer's {@code output_text}, a
 * {@code function_call} item per tool call, the status ({@code incomplete} with its reason when the output was cut
 * at {@code max_output_tokens} or filtered), and the usage in input and output tokens.
 *
 * <p>Streamed, the chunks become the Responses event stream: {@code response.created} and
 * {@code response.in_progress} with the first chunk; for each output item {@code response.output_item.added}, its
 * deltas ({@code response.reasoning_text.delta}, {@code response.content_part.added} then
 * {@code response.output_text.delta}, {@code response.function_call_arguments.delta}) and their {@code .done}
 * events, then {@code response.output_item.done}; and at the end {@code response.completed} (or
 * {@code response.incomplete}) with the whole response. Every event carries a {@code sequence_number} from 0. A
 * failure after the stream began is an {@code error} event, and the stream ends there.
 *
 * <p>The finished response (completed or incomplete) goes to {@code onFinished}, which stores it. Errors keep their
 * status and message; their {@code param} is named as the Responses API names it ({@link ChatTranslation#param}).
 *
 * <p>Confined to the exchange's event loop.
 */
final class ChatAsResponses implements ResponseFilter {

    private final ResponseDraft draft;
    private final ByteBufAllocator alloc;
    private final Consumer<ObjectNode> onFinished;
    private final List<Item> items = new ArrayList<>();
    private final Map<Integer, Item> calls = new LinkedHashMap<>();
    private Item message;
    private Item reasoning;
    private JsonNode usage;
    private String finishReason;
    private int sequence;
    private boolean started;

    /** One output item being streamed. */
    private static final class Item {
        final int index;
        final ObjectNode item;
        final StringBuilder text = new StringBuilder();
        boolean done;

        Item(int index, ObjectNode item) {
            this.index = index;
            this.item = item;
        }

        String id() {
            return item.path("id").asText();
        }
    }

    ChatAsResponses(ResponseDraft draft, ByteBufAllocator alloc, Consumer<ObjectNode> onFinished) {
        this.draft = draft;
        this.alloc = alloc;
        this.onFinished = onFinished;
    }

    // ---------------------------------------------------------------- unstreamed

    @Override
    public ByteBuf body(ByteBuf body) {
        JsonNode completion;
        try {
            completion = Json.MAPPER.readTree(new io.netty.buffer.ByteBufInputStream(body));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            body.release();
        }
        JsonNode choice = completion.path("choices").path(0);
        JsonNode message = choice.path("message");
        List<ObjectNode> output = new ArrayList<>();
        String thinking = message.path("reasoning_content").asText("");
        if (!thinking.isEmpty()) {
            output.add(reasoningItem(RequestIds.generate("rs_"), thinking, "completed"));
        }
        String status = status(choice.path("finish_reason").asText(null));
        JsonNode toolCalls = message.path("tool_calls");
        String content = message.path("content").asText("");
        if (!content.isEmpty() || !toolCalls.isArray() || toolCalls.isEmpty()) {
            output.add(messageItem(RequestIds.generate("msg_"), content, itemStatus(status)));
        }
        for (JsonNode call : toolCalls) {
            output.add(callItem(RequestIds.generate("fc_"), call.path("id").asText(),
                    call.path("function").path("name").asText(), call.path("function").path("arguments").asText(""),
                    itemStatus(status)));
        }
        ObjectNode response = draft.object(status, output, ResponseDraft.usage(completion.path("usage")),
                incompleteReason(choice.path("finish_reason").asText(null)));
        onFinished.accept(response);
        return Json.write(alloc, response);
    }

    // ---------------------------------------------------------------- streamed

    @Override
    public ByteBuf events(ByteBuf events) {
        ByteBuf out = alloc.buffer(events.readableBytes() * 2 + 64);
        try {
            for (JsonNode chunk : SseFrames.data(events)) {
                chunk(chunk, out);
            }
        } catch (RuntimeException e) {
            out.release();
            throw e;
        } finally {
            events.release();
        }
        return out;
    }

    private void chunk(JsonNode chunk, ByteBuf out) {
        start(out);
        if (chunk.get("usage") instanceof ObjectNode u) {
            usage = u;
        }
        JsonNode choice = chunk.path("choices").path(0);
        JsonNode delta = choice.path("delta");
        String thinking = delta.path("reasoning_content").asText("");
        if (!thinking.isEmpty()) {
            reasoningDelta(thinking, out);
        }
        String content = delta.path("content").asText("");
        if (!content.isEmpty()) {
            textDelta(content, out);
        }
        for (JsonNode call : delta.path("tool_calls")) {
            callDelta(call, out);
        }
        JsonNode finish = choice.get("finish_reason");
        if (finish != null && finish.isTextual()) {
            finishReason = finish.textValue();
            closeAll(itemStatus(status(finishReason)), out);
        }
    }

    private void start(ByteBuf out) {
        if (started) {
            return;
        }
        started = true;
        ObjectNode inProgress = draft.object("in_progress", List.of(), null, null);
        emit(out, event("response.created").set("response", inProgress));
        emit(out, event("response.in_progress").set("response", inProgress.deepCopy()));
    }

    private void reasoningDelta(String text, ByteBuf out) {
        if (message != null) {
            close(message, "completed", out);
            message = null;
        }
        if (reasoning == null) {
            reasoning = open(reasoningItem(RequestIds.generate("rs_"), null, "in_progress"), out);
        }
        reasoning.text.append(text);
        ObjectNode e = event("response.reasoning_text.delta");
        e.put("item_id", reasoning.id());
        e.put("output_index", reasoning.index);
        e.put("content_index", 0);
        e.put("delta", text);
        emit(out, e);
    }

    private void textDelta(String text, ByteBuf out) {
        if (reasoning != null) {
            close(reasoning, "completed", out);
            reasoning = null;
        }
        if (message == null) {
            message = open(messageItem(RequestIds.generate("msg_"), null, "in_progress"), out);
            ObjectNode e = event("response.content_part.added");
            e.put("item_id", message.id());
            e.put("output_index", message.index);
            e.put("content_index", 0);
            e.set("part", textPart(""));
            emit(out, e);
        }
        message.text.append(text);
        ObjectNode e = event("response.output_text.delta");
        e.put("item_id", message.id());
        e.put("output_index", message.index);
        e.put("content_index", 0);
        e.put("delta", text);
        e.putArray("logprobs");
        emit(out, e);
    }

    private void callDelta(JsonNode call, ByteBuf out) {
        int index = call.path("index").asInt(calls.size());
        Item item = calls.get(index);
        if (item == null) {
            if (reasoning != null) {
                close(reasoning, "completed", out);
                reasoning = null;
            }
            if (message != null) {
                close(message, "completed", out);
                message = null;
            }
            String callId = call.path("id").asText("");
            item = open(callItem(RequestIds.generate("fc_"), callId.isEmpty() ? RequestIds.generate("call_") : callId,
                    call.path("function").path("name").asText(""), null, "in_progress"), out);
            calls.put(index, item);
        }
        String fragment = call.path("function").path("arguments").asText("");
        if (fragment.isEmpty()) {
            return;
        }
        item.text.append(fragment);
        ObjectNode e = event("response.function_call_arguments.delta");
        e.put("item_id", item.id());
        e.put("output_index", item.index);
        e.put("delta", fragment);
        emit(out, e);
    }

    private Item open(ObjectNode item, ByteBuf out) {
        Item i = new Item(items.size(), item);
        items.add(i);
        ObjectNode e = event("response.output_item.added");
        e.put("output_index", i.index);
        e.set("item", item.deepCopy());
        emit(out, e);
        return i;
    }

    private void closeAll(String status, ByteBuf out) {
        for (Item i : items) {
            close(i, status, out);
        }
        message = null;
        reasoning = null;
    }

    /** The item's closing events and its final form. */
    private void close(Item i, String status, ByteBuf out) {
        if (i.done) {
            return;
        }
        i.done = true;
        String text = i.text.toString();
        String type = i.item.path("type").asText();
        switch (type) {
            case "reasoning" -> {
                ObjectNode e = event("response.reasoning_text.done");
                e.put("item_id", i.id());
                e.put("output_index", i.index);
                e.put("content_index", 0);
                e.put("text", text);
                emit(out, e);
                i.item.putArray("content").addObject().put("type", "reasoning_text").put("text", text);
            }
            case "message" -> {
                ObjectNode e = event("response.output_text.done");
                e.put("item_id", i.id());
                e.put("output_index", i.index);
                e.put("content_index", 0);
                e.put("text", text);
                e.putArray("logprobs");
                emit(out, e);
                ObjectNode part = event("response.content_part.done");
                part.put("item_id", i.id());
                part.put("output_index", i.index);
                part.put("content_index", 0);
                part.set("part", textPart(text));
                emit(out, part);
                i.item.putArray("content").add(textPart(text));
            }
            default -> { // function_call
                ObjectNode e = event("response.function_call_arguments.done");
                e.put("item_id", i.id());
                e.put("name", i.item.path("name").asText());
                e.put("output_index", i.index);
                e.put("arguments", text);
                emit(out, e);
                i.item.put("arguments", text);
            }
        }
        i.item.put("status", status);
        ObjectNode e = event("response.output_item.done");
        e.put("output_index", i.index);
        e.set("item", i.item.deepCopy());
        emit(out, e);
    }

    @Override
    public ByteBuf end() {
        ByteBuf out = alloc.buffer(1024);
        start(out);
        String status = status(finishReason);
        closeAll(itemStatus(status), out);
        List<ObjectNode> output = new ArrayList<>(items.size());
        items.forEach(i -> output.add(i.item));
        ObjectNode response = draft.object(status, output, usage == null ? null : ResponseDraft.usage(usage),
                incompleteReason(finishReason));
        emit(out, event(status.equals("completed") ? "response.completed" : "response.incomplete")
                .set("response", response));
        onFinished.accept(response);
        return out;
    }

    @Override
    public ByteBuf error(ApiError error) {
        ByteBuf out = alloc.buffer(256);
        emit(out, SseFrames.errorEvent(error));
        return out;
    }

    @Override
    public ApiError mapError(ApiError error) {
        return ChatTranslation.responsesError(error);
    }

    // ---------------------------------------------------------------- shapes

    private ObjectNode event(String type) {
        ObjectNode e = Json.MAPPER.createObjectNode();
        e.put("type", type);
        return e;
    }

    private void emit(ByteBuf out, ObjectNode event) {
        event.put("sequence_number", sequence++);
        SseFrames.write(out, event);
    }

    /** The response's status after a choice ended with {@code finishReason} (null: it did not end). */
    static String status(String finishReason) {
        return "length".equals(finishReason) || "content_filter".equals(finishReason) ? "incomplete" : "completed";
    }

    static String incompleteReason(String finishReason) {
        if ("length".equals(finishReason)) {
            return "max_output_tokens";
        }
        return "content_filter".equals(finishReason) ? "content_filter" : null;
    }

    private static String itemStatus(String responseStatus) {
        return responseStatus.equals("completed") ? "completed" : "incomplete";
    }

    static ObjectNode textPart(String text) {
        ObjectNode p = Json.MAPPER.createObjectNode();
        p.put("type", "output_text");
        p.put("text", text);
        p.putArray("annotations");
        p.putArray("logprobs");
        return p;
    }

    /** A message item; its content is empty while it streams ({@code text} null). */
    static ObjectNode messageItem(String id, String text, String status) {
        ObjectNode m = Json.MAPPER.createObjectNode();
        m.put("id", id);
        m.put("type", "message");
        m.put("status", status);
        m.put("role", "assistant");
        if (text == null) {
            m.putArray("content");
        } else {
            m.putArray("content").add(textPart(text));
        }
        return m;
    }

    /** A reasoning item, summary-less; its content is empty while it streams ({@code text} null). */
    static ObjectNode reasoningItem(String id, String text, String status) {
        ObjectNode r = Json.MAPPER.createObjectNode();
        r.put("id", id);
        r.put("type", "reasoning");
        r.putArray("summary");
        if (text != null) {
            r.putArray("content").addObject().put("type", "reasoning_text").put("text", text);
        }
        r.put("status", status);
        return r;
    }

    /** A function call item; its arguments are empty while they stream ({@code arguments} null). */
    static ObjectNode callItem(String id, String callId, String name, String arguments, String status) {
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.put("id", id);
        c.put("type", "function_call");
        c.put("status", status);
        c.put("arguments", arguments == null ? "" : arguments);
        c.put("call_id", callId);
        c.put("name", name);
        return c;
    }

    @Override
    public String toString() {
        return "ChatAsResponses[" + draft.id() + ", " + items.size() + " items, " + sequence + " events]";
    }
}
