package io.fairlane.conformance.wire;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SequencedSet;
import java.util.TreeMap;

/**
 * A chat completion stream reassembled the way SDK accumulators do it: deltas merged per choice index,
 * tool-call deltas merged per tool-call index, argument fragments concatenated. Keeps what the invariant
 * checks need on top (the first delta of each choice and call, every finish reason with its position, every
 * id seen at a tool-call index) and can render the result as one {@code chat.completion}-shaped object for
 * field-by-field comparison.
 */
public final class StreamAssembly {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One tool call as reassembled from its deltas. */
    public static final class ToolCall {
        private final int index;
        private final JsonNode firstDelta;
        private final SequencedSet<String> ids = new LinkedHashSet<>();
        private String type;
        private String name;
        private final StringBuilder arguments = new StringBuilder();

        ToolCall(int index, JsonNode firstDelta) {
            this.index = index;
            this.firstDelta = firstDelta;
        }

        public int index() {
            return index;
        }

        /** The tool-call delta that opened this index. */
        public JsonNode firstDelta() {
            return firstDelta;
        }

        /** Every distinct id that appeared at this index: more than one means two calls shared the index. */
        public List<String> ids() {
            return List.copyOf(ids);
        }

        public String type() {
            return type;
        }

        public String name() {
            return name;
        }

        public String arguments() {
            return arguments.toString();
        }
    }

    /** One choice as reassembled from its deltas. */
    public static final class Choice {
        private final int index;
        private final JsonNode firstDelta;
        private final int firstChunk;
        private int lastChunk;
        private String role;
        private final StringBuilder content = new StringBuilder();
        private boolean sawContent;
        private final StringBuilder refusal = new StringBuilder();
        private boolean sawRefusal;
        private final List<String> finishReasons = new ArrayList<>();
        private int finishChunk = -1;
        private boolean deltaAfterFinish;
        private final Map<Integer, ToolCall> toolCalls = new TreeMap<>();
        private final List<JsonNode> logprobs = new ArrayList<>();
        private boolean sawLogprobs;

        Choice(int index, JsonNode firstDelta, int firstChunk) {
            this.index = index;
            this.firstDelta = firstDelta;
            this.firstChunk = firstChunk;
            this.lastChunk = firstChunk;
        }

        public int index() {
            return index;
        }

        public JsonNode firstDelta() {
            return firstDelta;
        }

        public int firstChunk() {
            return firstChunk;
        }

        public int lastChunk() {
            return lastChunk;
        }

        public String role() {
            return role;
        }

        public String content() {
            return content.toString();
        }

        public String refusal() {
            return refusal.toString();
        }

        /** Non-null finish reasons in order; a well-formed choice has exactly one. */
        public List<String> finishReasons() {
            return List.copyOf(finishReasons);
        }

        /** Position (in {@link StreamAssembly#chunks()}) of the first chunk with a finish reason, or -1. */
        public int finishChunk() {
            return finishChunk;
        }

        /** Whether a delta with content arrived for this choice after its finish reason. */
        public boolean deltaAfterFinish() {
            return deltaAfterFinish;
        }

        public Map<Integer, ToolCall> toolCalls() {
            return Collections.unmodifiableMap(toolCalls);
        }

        /** The {@code logprobs.content} entries of every delta, concatenated. */
        public List<JsonNode> logprobContent() {
            return List.copyOf(logprobs);
        }

        public boolean sawLogprobs() {
            return sawLogprobs;
        }
    }

    private final List<JsonNode> chunks;
    private final Map<Integer, Choice> choices = new TreeMap<>();
    private final List<Integer> usageChunks = new ArrayList<>();
    private final List<Integer> emptyChoiceChunks = new ArrayList<>();

    private StreamAssembly(List<JsonNode> chunks) {
        this.chunks = List.copyOf(chunks);
    }

    public static StreamAssembly of(List<JsonNode> chunks) {
        StreamAssembly assembly = new StreamAssembly(requireNonNull(chunks, "chunks"));
        for (int position = 0; position < assembly.chunks.size(); position++) {
            assembly.add(position, assembly.chunks.get(position));
        }
        return assembly;
    }

    private void add(int position, JsonNode chunk) {
        JsonNode usage = chunk.get("usage");
        if (usage != null && !usage.isNull()) {
            usageChunks.add(position);
        }
        JsonNode list = chunk.get("choices");
        if (list != null && list.isArray() && list.isEmpty()) {
            emptyChoiceChunks.add(position);
        }
        if (list == null || !list.isArray()) {
            return;
        }
        for (JsonNode choiceNode : list) {
            int index = choiceNode.path("index").asInt(-1);
            JsonNode delta = choiceNode.path("delta");
            Choice choice = choices.computeIfAbsent(index, i -> new Choice(i, delta, position));
            choice.lastChunk = position;
            boolean carriesSomething = delta.path("content").isTextual() && !delta.path("content").asText().isEmpty()
                    || delta.has("tool_calls") && !delta.path("tool_calls").isEmpty()
                    || delta.path("refusal").isTextual() && !delta.path("refusal").asText().isEmpty();
            if (choice.finishChunk >= 0 && carriesSomething) {
                choice.deltaAfterFinish = true;
            }
            if (delta.path("role").isTextual() && choice.role == null) {
                choice.role = delta.path("role").asText();
            }
            if (delta.path("content").isTextual()) {
                choice.content.append(delta.path("content").asText());
                choice.sawContent = true;
            }
            if (delta.path("refusal").isTextual()) {
                choice.refusal.append(delta.path("refusal").asText());
                choice.sawRefusal = true;
            }
            for (JsonNode callDelta : delta.path("tool_calls")) {
                int callIndex = callDelta.path("index").asInt(-1);
                ToolCall call = choice.toolCalls.computeIfAbsent(callIndex, i -> new ToolCall(i, callDelta));
                if (callDelta.path("id").isTextual() && !callDelta.path("id").asText().isEmpty()) {
                    call.ids.add(callDelta.path("id").asText());
                }
                if (callDelta.path("type").isTextual() && call.type == null) {
                    call.type = callDelta.path("type").asText();
                }
                JsonNode function = callDelta.path("function");
                if (function.path("name").isTextual() && call.name == null) {
                    call.name = function.path("name").asText();
                }
                if (function.path("arguments").isTextual()) {
                    call.arguments.append(function.path("arguments").asText());
                }
            }
            JsonNode logprobs = choiceNode.path("logprobs");
            if (logprobs.isObject()) {
                choice.sawLogprobs = true;
                logprobs.path("content").forEach(choice.logprobs::add);
            }
            JsonNode finish = choiceNode.path("finish_reason");
            if (finish.isTextual()) {
                choice.finishReasons.add(finish.asText());
                if (choice.finishChunk < 0) {
                    choice.finishChunk = position;
                }
            }
        }
    }

    public List<JsonNode> chunks() {
        return chunks;
    }

    public Map<Integer, Choice> choices() {
        return Collections.unmodifiableMap(choices);
    }

    /** Positions of chunks whose {@code usage} is present and not null. */
    public List<Integer> usageChunks() {
        return List.copyOf(usageChunks);
    }

    /** Positions of chunks whose {@code choices} is an empty array. */
    public List<Integer> emptyChoiceChunks() {
        return List.copyOf(emptyChoiceChunks);
    }

    /**
     * The stream as one {@code chat.completion}-shaped object: what a client holds once the stream ended.
     * Fields that the stream never carried are left out rather than invented.
     */
    public ObjectNode toCompletion() {
        ObjectNode completion = JSON.createObjectNode();
        if (!chunks.isEmpty()) {
            JsonNode first = chunks.getFirst();
            copy(first, completion, "id");
            completion.put("object", "chat.completion");
            copy(first, completion, "created");
            copy(first, completion, "model");
        }
        ArrayNode list = completion.putArray("choices");
        for (Choice choice : choices.values()) {
            ObjectNode node = list.addObject();
            node.put("index", choice.index);
            ObjectNode message = node.putObject("message");
            if (choice.role != null) {
                message.put("role", choice.role);
            }
            if (choice.sawContent) {
                message.put("content", choice.content.toString());
            }
            if (choice.sawRefusal && !choice.refusal.isEmpty()) {
                message.put("refusal", choice.refusal.toString());
            }
            if (!choice.toolCalls.isEmpty()) {
                ArrayNode calls = message.putArray("tool_calls");
                for (ToolCall call : choice.toolCalls.values()) {
                    ObjectNode c = calls.addObject();
                    if (!call.ids.isEmpty()) {
                        c.put("id", call.ids.getFirst());
                    }
                    if (call.type != null) {
                        c.put("type", call.type);
                    }
                    ObjectNode function = c.putObject("function");
                    if (call.name != null) {
                        function.put("name", call.name);
                    }
                    function.put("arguments", call.arguments.toString());
                }
            }
            if (choice.sawLogprobs) {
                ArrayNode content = node.putObject("logprobs").putArray("content");
                choice.logprobs.forEach(content::add);
            }
            if (choice.finishReasons.isEmpty()) {
                node.putNull("finish_reason");
            } else {
                node.put("finish_reason", choice.finishReasons.getFirst());
            }
        }
        if (!usageChunks.isEmpty()) {
            completion.set("usage", chunks.get(usageChunks.getLast()).get("usage"));
        }
        return completion;
    }

    private static void copy(JsonNode from, ObjectNode to, String field) {
        if (from.has(field)) {
            to.set(field, from.get(field));
        }
    }
}
