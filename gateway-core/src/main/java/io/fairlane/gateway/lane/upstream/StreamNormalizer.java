package io.fairlane.gateway.lane.upstream;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.http.RequestIds;
import io.fairlane.gateway.openai.TokenUsage;
import io.fairlane.gateway.openai.Usages;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
 * <p>Two ways in. {@link #passThrough} is the fast path for the common chunk (text deltas, a role, a
 * finish, a complete usage report): one pass of Jackson's token stream over the upstream's bytes, no tree,
 * no string made, and the bytes go out as they came, with {@code service_tier} spliced in after the opening
 * brace when the upstream left it out. The usage counts are read from that same pass, and a usage chunk the
 * client did not ask for is dropped there. Whatever might need a repair (tool calls, an incomplete usage
 * the client will see, an error, a tier to overwrite, a {@code finish_reason} after tool calls, anything
 * unexpected) makes it decline, and the caller parses the chunk into a tree for {@link #normalize}, the
 * full path. Both keep the same state, so a stream may mix them freely.
 *
 * <p>Confined to one event loop.
 */
public final class StreamNormalizer {

    /** What to do with a chunk. */
    public enum Verdict { SEND, DROP }

    private final boolean clientWantsUsage;
    private final String serviceTier;
    /** {@code "service_tier":"<tier>",}: what the fast path splices into a chat chunk without one. */
    private final byte[] tierField;
    /** (choice, upstream index or call id) → our index, per choice. */
    private final Map<Integer, ChoiceCalls> calls = new HashMap<>();
    private final Set<Integer> choicesWithCalls = new HashSet<>();
    private TokenUsage usage;
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
        this.tierField = serviceTier == null ? null
                : ("\"service_tier\":" + Json.toString(serviceTier) + ",").getBytes(StandardCharsets.UTF_8);
    }

    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT_END = "\n\n".getBytes(StandardCharsets.US_ASCII);

    /** {@link #passThrough(byte[], int, ByteBuf)} of a whole array. */
    public boolean passThrough(byte[] json, ByteBuf out) {
        return passThrough(json, json.length, out);
    }

    /**
     * The fast path: if the chunk {@code json[0, length)} (an event's data, as the upstream sent it) needs no
     * repair but perhaps a missing {@code service_tier}, appends it to {@code out} as {@code data: <json>\n\n}
     * and returns true, with the same bookkeeping {@link #normalize} does; a usage chunk the client did not ask
     * for is counted and dropped (true, nothing written). Otherwise returns false having written nothing and
     * changed nothing; the caller takes the full path.
     */
    public boolean passThrough(byte[] json, int length, ByteBuf out) {
        if (!choicesWithCalls.isEmpty()) {
            return false; // a finish_reason may have to become tool_calls
        }
        for (int i = 0; i < length; i++) {
            byte b = json[i];
            if (b == '\n' || b == '\r') {
                return false; // a multi-line event: forwarded as is it would break the client's framing
            }
        }
        int scan;
        cutStart = -1;
        try (JsonParser p = Json.MAPPER.getFactory().createParser(json, 0, length)) {
            scan = scan(p, json, length);
        } catch (IOException | RuntimeException e) {
            return false; // the full path reports what is wrong with it
        }
        if (scan == DECLINE) {
            return false;
        }
        lastCarriedOutput = (scan & OUTPUT) != 0;
        if (lastCarriedOutput) {
            outputChunks++;
        }
        if ((scan & USAGE) != 0) {
            usage = new TokenUsage(scannedUsage[0], scannedUsage[2], scannedUsage[1]);
            if (!clientWantsUsage) {
                return true; // a usage-only chunk, counted; the client did not ask for it
            }
        }
        out.writeBytes(DATA);
        int from = 0;
        if ((scan & SPLICE_TIER) != 0) {
            int open = 0;
            while (json[open] != '{') {
                open++;
            }
            out.writeBytes(json, 0, open + 1);
            out.writeBytes(tierField);
            from = open + 1;
        }
        if (cutStart >= 0) {
            out.writeBytes(json, from, cutStart - from);
            from = cutEnd;
        }
        out.writeBytes(json, from, length - from);
        out.writeBytes(EVENT_END);
        return true;
    }

    /**
     * Takes {@code "usage":null} out of {@code json}, its field starting at {@code start} and its value ending
     * at {@code end}: the range to cut, with the comma after it, or before it when it was the last field.
     */
    private void cutField(byte[] json, int length, int start, int end) {
        int after = end;
        while (after < length && isSpace(json[after])) {
            after++;
        }
        if (after < length && json[after] == ',') {
            cutStart = start;
            cutEnd = after + 1;
            return;
        }
        int before = start - 1;
        while (before > 0 && isSpace(json[before])) {
            before--;
        }
        cutStart = json[before] == ',' ? before : start;
        cutEnd = end;
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t';
    }

    private static final int DECLINE = -1;
    private static final int OUTPUT = 1;
    private static final int SPLICE_TIER = 2;
    private static final int USAGE = 4;
    private static final String CHAT_CHUNK = "chat.completion.chunk";

    /** The counts of the usage object the last {@link #scan} read: prompt, completion, cached. */
    private int[] scannedUsage;

    /** Where the fast path cuts {@code "usage":null} out, or -1; see {@link #cutField}. */
    private int cutStart = -1;
    private int cutEnd;

    /**
     * Reads one chunk's tokens: {@link #DECLINE}, or flags {@link #OUTPUT}, {@link #SPLICE_TIER} and
     * {@link #USAGE}. A {@code "usage":null} (OpenAI sends one on every chunk of a stream that asked for usage,
     * and the gateway always asks) stays for a client that asked too and is marked for cutting otherwise. A
     * usage object is read into {@link #scannedUsage}: for a client that asked, it must be complete to pass as
     * it is; for one that did not, its counts are enough, as long as the chunk holds no choice (it is dropped
     * whole). Values are compared where the parser holds them: no string is made.
     */
    private int scan(JsonParser p, byte[] json, int length) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            return DECLINE;
        }
        boolean chatChunk = false;
        boolean tierSent = false;
        boolean output = false;
        boolean usageRead = false;
        int choices = 0;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            if ("usage".equals(name)) {
                long start = p.currentTokenLocation().getByteOffset();
                JsonToken value = p.nextToken();
                if (usageRead || cutStart >= 0) {
                    return DECLINE;
                }
                if (value == JsonToken.START_OBJECT) {
                    scannedUsage = ResponseScan.usage(p, true, clientWantsUsage);
                    if (scannedUsage == null) {
                        return DECLINE;
                    }
                    usageRead = true;
                    continue;
                }
                if (value != JsonToken.VALUE_NULL || start < 0) {
                    return DECLINE;
                }
                if (!clientWantsUsage) {
                    cutField(json, length, (int) start, (int) p.currentTokenLocation().getByteOffset() + 4);
                }
                continue;
            }
            JsonToken value = p.nextToken();
            switch (name) {
                case "error" -> {
                    return DECLINE;
                }
                case "object" -> {
                    if (value != JsonToken.VALUE_STRING) {
                        return DECLINE;
                    }
                    chatChunk = textIs(p, CHAT_CHUNK);
                }
                case "service_tier" -> {
                    if (value != JsonToken.VALUE_STRING || serviceTier != null && !textIs(p, serviceTier)) {
                        return DECLINE; // to be overwritten: rare enough for the full path
                    }
                    tierSent = true;
                }
                case "choices" -> {
                    if (value != JsonToken.START_ARRAY) {
                        return DECLINE;
                    }
                    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                        int choice = scanChoice(p, t);
                        if (choice == DECLINE) {
                            return DECLINE;
                        }
                        output |= choice == OUTPUT;
                        choices++;
                    }
                }
                default -> p.skipChildren();
            }
        }
        if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
            return DECLINE;
        }
        int flags = output ? OUTPUT : 0;
        if (usageRead) {
            if (!clientWantsUsage && choices > 0) {
                return DECLINE; // the usage must be cut out of a chunk that also carries choices
            }
            flags |= USAGE;
        }
        if (serviceTier != null && !tierSent && chatChunk) {
            flags |= SPLICE_TIER;
        }
        return flags;
    }

    /** Whether the current string token is exactly {@code s}, compared in the parser's own buffer. */
    private static boolean textIs(JsonParser p, String s) throws IOException {
        int n = p.getTextLength();
        if (n != s.length()) {
            return false;
        }
        char[] chars = p.getTextCharacters();
        int off = p.getTextOffset();
        for (int i = 0; i < n; i++) {
            if (chars[off + i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** One choice, its start token read: {@link #DECLINE}, {@link #OUTPUT} or 0. */
    private static int scanChoice(JsonParser p, JsonToken start) throws IOException {
        if (start != JsonToken.START_OBJECT) {
            return DECLINE;
        }
        boolean deltaObject = false;
        boolean deltaOutput = false;
        boolean textOutput = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if ("delta".equals(name) && value == JsonToken.START_OBJECT) {
                deltaObject = true;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken v = p.nextToken();
                    switch (field) {
                        case "tool_calls" -> {
                            return DECLINE;
                        }
                        case "content", "refusal", "reasoning_content" ->
                                deltaOutput |= v == JsonToken.VALUE_STRING && p.getTextLength() > 0;
                        default -> p.skipChildren();
                    }
                }
            } else if ("text".equals(name)) {
                textOutput |= value == JsonToken.VALUE_STRING && p.getTextLength() > 0;
            } else {
                p.skipChildren();
            }
        }
        return (deltaObject ? deltaOutput : textOutput) ? OUTPUT : 0;
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

    /** The last usage the upstream reported, or {@link TokenUsage#NONE} when it has not (yet). */
    public TokenUsage usage() {
        return usage == null ? TokenUsage.NONE : usage;
    }
}
