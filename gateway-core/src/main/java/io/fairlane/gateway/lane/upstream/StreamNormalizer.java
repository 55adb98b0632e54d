package io.fairlane.gateway.lane.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.http.RequestIds;
import io.fairlane.gateway.openai.TokenUsage;
import io.fairlane.gateway.openai.Usages;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Repairs an upstream's chunk stream on the way through, so that every client sees OpenAI's contract
 * whatever the upstream server gets wrong:
 * <ul>
 *   <li>the first delta of each tool call carries {@code index}, {@code id}, {@code type: "function"},
 *       {@code function.name} and {@code arguments: ""};</li>
 *   <li>parallel calls have distinct indexes (servers that number every call 0 are renumbered by call id);</li>
 *   <li>{@code finish_reason} is {@code tool_calls} when calls were emitted;</li>
 *   <li>usage counts are integers, never null, with {@code cached_tokens} and {@code reasoning_tokens};</li>
 *   <li>the usage chunk reaches the client only if it asked for it ({@code include_usage}); the gateway
 *       always asks upstream, to meter tokens, and strips what the client did not ask for;</li>
 *   <li>{@code service_tier} says the tier the gateway scheduled the request in;</li>
 *   <li>{@code model} says the name the client asked for, when the target knows the model by another name.</li>
 * </ul>
 * Records usage, whether a chunk carried output (for TTFT and inter-token latency), how much output the stream
 * carried (chunks and characters of text, which bound what an upstream may send), which choices finished (a stream
 * that ends before they did was cut short), and the finish reason and tool names of the first choice (what a
 * shadow comparison looks at).
 *
 * <p>Two ways in. {@link #passThrough} is the fast path for the common chunk (text deltas, a role, a
 * finish, a complete usage report): one pass over the upstream's bytes ({@link ChunkScan}), no parser, no tree,
 * no string made and nothing allocated, and the bytes go out as they came, with {@code service_tier} spliced
 * in after the opening brace when the upstream left it out and {@code model} replaced when the client asked
 * for another name. The usage counts are read in that same pass, and a usage chunk the client did not ask
 * for is dropped there. Whatever might need a repair (tool calls, an incomplete usage the client will see,
 * an error, a tier to overwrite, a {@code finish_reason} after tool calls, anything unexpected) makes it
 * decline, and the caller parses the chunk into a tree for {@link #normalize}, the full path. Both keep the
 * same state, so a stream may mix them freely.
 *
 * <p>Confined to one event loop.
 */
public final class StreamNormalizer {

    /** What to do with a chunk. */
    public enum Verdict { SEND, DROP }

    private final boolean clientWantsUsage;
    private final String serviceTier;
    /** The model name the client asked for, when chunks must say it instead of the upstream's; else null. */
    private final String clientModel;
    /** {@code "<clientModel>"}, JSON-quoted, for the fast path's replacement. */
    private final byte[] quotedModel;
    /** {@code "service_tier":"<tier>",}: what the fast path splices into a chat chunk without one. */
    private final byte[] tierField;
    /** (choice, upstream index or call id) → our index, per choice. */
    private final Map<Integer, ChoiceCalls> calls = new HashMap<>();
    private final ChoiceSet choicesWithCalls = new ChoiceSet();
    private TokenUsage usage;
    private boolean lastCarriedOutput;
    private int outputChunks;
    private long outputChars;
    /** Choices seen, and those that sent a finish_reason. */
    private final ChoiceSet choicesSeen = new ChoiceSet();
    private final ChoiceSet choicesFinished = new ChoiceSet();
    private String firstFinishReason;
    private final java.util.List<String> toolNames = new java.util.ArrayList<>();
    /** The fast path's reader and its byte edits. */
    private final ChunkScan fastPath;

    private static final class ChoiceCalls {
        final Map<Integer, Integer> byUpstreamIndex = new HashMap<>();
        final Map<Integer, String> idByOurIndex = new HashMap<>();
        int next;
    }

    public StreamNormalizer(boolean clientWantsUsage, String serviceTier) {
        this(clientWantsUsage, serviceTier, null);
    }

    /** @param clientModel the name chunks must carry in {@code model}, or null to leave the upstream's */
    public StreamNormalizer(boolean clientWantsUsage, String serviceTier, String clientModel) {
        this.clientWantsUsage = clientWantsUsage;
        this.serviceTier = serviceTier;
        this.clientModel = clientModel;
        this.quotedModel = clientModel == null ? null : QUOTED_MODELS.computeIfAbsent(clientModel,
                m -> Json.toString(m).getBytes(StandardCharsets.UTF_8));
        this.tierField = serviceTier == null ? null : TIER_FIELDS.computeIfAbsent(serviceTier,
                t -> ("\"service_tier\":" + Json.toString(t) + ",").getBytes(StandardCharsets.UTF_8));
        this.fastPath = new ChunkScan(clientWantsUsage, serviceTier, clientModel);
    }

    // The spliced bytes of each tier and model name, made once rather than by a JSON writer for every stream; read
    // only. Both are bounded: tiers are a fixed set and client model names are configured model ids.
    private static final ConcurrentHashMap<String, byte[]> TIER_FIELDS = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<String, byte[]> QUOTED_MODELS = new ConcurrentHashMap<>();

    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT_END = "\n\n".getBytes(StandardCharsets.US_ASCII);

    /** {@link #passThrough(byte[], int, ByteBuf)} of a whole array. */
    public boolean passThrough(byte[] json, ByteBuf out) {
        return passThrough(json, json.length, out);
    }

    /**
     * The fast path: if the chunk {@code json[0, length)} (an event's data, as the upstream sent it) needs no
     * repair but perhaps a missing {@code service_tier} or another model name, appends it to {@code out} as
     * {@code data: <json>\n\n} and returns true, with the same bookkeeping {@link #normalize} does; a usage
     * chunk the client did not ask for is counted and dropped (true, nothing written). Otherwise returns false
     * having written nothing and changed nothing; the caller takes the full path.
     */
    public boolean passThrough(byte[] json, int length, ByteBuf out) {
        if (!choicesWithCalls.isEmpty()) {
            return false; // a finish_reason may have to become tool_calls
        }
        // A multi-line event (forwarded as is it would break the client's framing) is declined by the scan: it
        // takes no line break, between tokens or in a string.
        int scan = fastPath.scan(json, length);
        if (scan == ChunkScan.DECLINE) {
            return false;
        }
        lastCarriedOutput = (scan & ChunkScan.OUTPUT) != 0;
        if (lastCarriedOutput) {
            outputChunks++;
        }
        outputChars += fastPath.outputChars;
        for (int i = 0; i < fastPath.seen; i++) {
            choicesSeen.add(fastPath.seenIndexes[i]); // a choice already seen adds nothing
        }
        for (int i = 0; i < fastPath.finished; i++) {
            choicesFinished.add(fastPath.finishedIndexes[i]);
        }
        if (firstFinishReason == null && fastPath.finish != null) {
            firstFinishReason = fastPath.finish;
        }
        if ((scan & ChunkScan.USAGE) != 0) {
            int[] counts = fastPath.usage;
            usage = new TokenUsage(counts[0], counts[2], counts[1], counts[3]);
            if (!clientWantsUsage) {
                return true; // a usage-only chunk, counted; the client did not ask for it
            }
        }
        out.writeBytes(DATA);
        fastPath.write(json, length, out, tierField, quotedModel);
        out.writeBytes(EVENT_END);
        return true;
    }

    /** Repairs {@code chunk} in place and says whether to send it. */
    public Verdict normalize(ObjectNode chunk) {
        lastCarriedOutput = false;
        JsonNode u = chunk.get("usage");
        boolean usageChunk = false;
        if (u instanceof ObjectNode uo) {
            Usages.normalise(uo, true);
            usage = TokenUsage.of(uo);
            usageChunk = true;
        }
        if (!clientWantsUsage && chunk.has("usage")) {
            JsonNode choices = chunk.get("choices");
            if (usageChunk && (choices == null || choices.isEmpty())) {
                return Verdict.DROP;
            }
            chunk.remove("usage");
        }
        // Chat chunks always say the tier used, as a non-streamed chat completion does, also when the
        // upstream server (vLLM, for one) sends no service_tier of its own.
        if (serviceTier != null && (chunk.has("service_tier")
                || "chat.completion.chunk".equals(chunk.path("object").asText()))) {
            chunk.put("service_tier", serviceTier);
        }
        if (clientModel != null && chunk.has("model")) {
            chunk.put("model", clientModel);
        }
        JsonNode choices = chunk.get("choices");
        if (choices instanceof ArrayNode arr) {
            for (JsonNode c : arr) {
                if (c instanceof ObjectNode choice) {
                    choice(choice);
                }
            }
        }
        if (lastCarriedOutput) {
            outputChunks++;
        }
        return Verdict.SEND;
    }

    private void choice(ObjectNode choice) {
        int index = choice.path("index").asInt(0);
        choicesSeen.add(index);
        JsonNode delta = choice.get("delta");
        if (delta instanceof ObjectNode d) {
            for (String field : new String[] {"content", "refusal", "reasoning_content"}) {
                if (nonEmpty(d.get(field))) {
                    lastCarriedOutput = true;
                    outputChars += d.get(field).textValue().length();
                }
            }
            JsonNode tc = d.get("tool_calls");
            if (tc instanceof ArrayNode arr && !arr.isEmpty()) {
                lastCarriedOutput = true;
                choicesWithCalls.add(index);
                ChoiceCalls state = calls.computeIfAbsent(index, k -> new ChoiceCalls());
                for (int i = 0; i < arr.size(); i++) {
                    if (arr.get(i) instanceof ObjectNode call) {
                        toolCall(state, call, i);
                    }
                }
            }
        } else if (nonEmpty(choice.get("text"))) {
            lastCarriedOutput = true;
            outputChars += choice.get("text").textValue().length();
        }
        JsonNode finish = choice.get("finish_reason");
        if (finish != null && "stop".equals(finish.asText()) && choicesWithCalls.contains(index)) {
            choice.put("finish_reason", "tool_calls");
        }
        if (finish != null && finish.isTextual()) {
            choicesFinished.add(index);
            if (index == 0 && firstFinishReason == null) {
                firstFinishReason = choice.get("finish_reason").asText();
            }
        }
    }

    private void toolCall(ChoiceCalls state, ObjectNode call, int position) {
        int upstreamIndex = call.path("index").isIntegralNumber() ? call.get("index").asInt() : position;
        String id = call.path("id").isTextual() && !call.get("id").asText().isEmpty() ? call.get("id").asText() : null;
        Integer ours = state.byUpstreamIndex.get(upstreamIndex);
        boolean first;
        if (ours == null || (id != null && !id.equals(state.idByOurIndex.get(ours)))) {
            // A new call: either a new upstream index, or the same index reused with another id.
            ours = state.next++;
            state.byUpstreamIndex.put(upstreamIndex, ours);
            state.idByOurIndex.put(ours, id != null ? id : "call_" + RequestIds.generate("").substring(0, 24));
            first = true;
        } else {
            first = false;
        }
        call.put("index", ours);
        if (call.get("function") instanceof ObjectNode fn) {
            outputChars += fn.path("arguments").asText("").length();
            if (first && fn.path("name").isTextual() && toolNames.size() < 64) {
                toolNames.add(fn.get("name").asText());
            }
        }
        if (first) {
            call.put("id", state.idByOurIndex.get(ours));
            call.put("type", "function");
            ObjectNode fn = call.get("function") instanceof ObjectNode f ? f : call.putObject("function");
            if (!fn.path("name").isTextual()) {
                fn.put("name", "");
            }
            if (!fn.path("arguments").isTextual()) {
                fn.put("arguments", "");
            }
        }
    }

    private static boolean nonEmpty(JsonNode n) {
        return n != null && n.isTextual() && !n.textValue().isEmpty();
    }

    /** Whether the last normalised chunk carried output (content, refusal or a tool-call fragment). */
    public boolean lastCarriedOutput() {
        return lastCarriedOutput;
    }

    /** Chunks that carried output so far. */
    public int outputChunks() {
        return outputChunks;
    }

    /** The last usage the upstream reported, or {@link TokenUsage#NONE} when it has not (yet). */
    public TokenUsage usage() {
        return usage == null ? TokenUsage.NONE : usage;
    }

    /** Characters of output text so far (content, refusals, reasoning, completion text, tool-call arguments). */
    public long outputChars() {
        return outputChars;
    }

    /** Whether some choice was seen and every choice seen sent a {@code finish_reason}. */
    public boolean allChoicesFinished() {
        return !choicesSeen.isEmpty() && choicesFinished.containsAll(choicesSeen);
    }

    /** The first choice's finish reason, or null before it finished. */
    public String finishReason() {
        return firstFinishReason;
    }

    /** The names of the tool calls made so far, in order (at most 64). */
    public java.util.List<String> toolNames() {
        return java.util.List.copyOf(toolNames);
    }
}
