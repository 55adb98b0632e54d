package io.fairlane.gateway.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.RequestIds;
import io.fairlane.gateway.openai.Usages;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

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
 *   <li>{@code service_tier} says the tier the gateway scheduled the request in.</li>
 * </ul>
 * Records usage and whether a chunk carried output (for TTFT and inter-token latency).
 *
 * <p>Confined to one event loop.
 */
public final class StreamNormalizer {

    /** What to do with a chunk. */
    public enum Verdict { SEND, DROP }

    private final boolean clientWantsUsage;
    private final String serviceTier;
    /** (choice, upstream index or call id) → our index, per choice. */
    private final Map<Integer, ChoiceCalls> calls = new HashMap<>();
    private final Set<Integer> choicesWithCalls = new HashSet<>();
    private JsonNode usage;
    private boolean lastCarriedOutput;
    private int outputChunks;

    private static final class ChoiceCalls {
        final Map<Integer, Integer> byUpstreamIndex = new HashMap<>();
        final Map<Integer, String> idByOurIndex = new HashMap<>();
        int next;
    }

    public StreamNormalizer(boolean clientWantsUsage, String serviceTier) {
        this.clientWantsUsage = clientWantsUsage;
        this.serviceTier = serviceTier;
    }

    /** Repairs {@code chunk} in place and says whether to send it. */
    public Verdict normalize(ObjectNode chunk) {
        lastCarriedOutput = false;
        JsonNode u = chunk.get("usage");
        boolean usageChunk = false;
        if (u instanceof ObjectNode uo) {
            Usages.normalise(uo, true);
            usage = uo;
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
        JsonNode delta = choice.get("delta");
        if (delta instanceof ObjectNode d) {
            if (nonEmpty(d.get("content")) || nonEmpty(d.get("refusal")) || nonEmpty(d.get("reasoning_content"))) {
                lastCarriedOutput = true;
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
        }
        JsonNode finish = choice.get("finish_reason");
        if (finish != null && "stop".equals(finish.asText()) && choicesWithCalls.contains(index)) {
            choice.put("finish_reason", "tool_calls");
        }
    }

    private static void toolCall(ChoiceCalls state, ObjectNode call, int position) {
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

    /** The last usage the upstream reported (normalised), or null. */
    public JsonNode usage() {
        return usage;
    }
}
