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
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
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
 * finish, a complete usage report): one pass of Jackson's token stream over the upstream's bytes, no tree,
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
    private final Set<Integer> choicesWithCalls = new HashSet<>();
    private TokenUsage usage;
    private boolean lastCarriedOutput;
    private int outputChunks;
    private long outputChars;
    /** Choices seen, and those that sent a finish_reason. */
    private final Set<Integer> choicesSeen = new HashSet<>();
    private final Set<Integer> choicesFinished = new HashSet<>();
    private String firstFinishReason;
    private final java.util.List<String> toolNames = new java.util.ArrayList<>();

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
        for (int i = 0; i < length; i++) {
            byte b = json[i];
            if (b == '\n' || b == '\r') {
                return false; // a multi-line event: forwarded as is it would break the client's framing
            }
        }
        int scan;
        edits = 0;
        pendingFinished = 0;
        pendingSeen = 0;
        pendingOutputChars = 0;
        pendingFinish = null;
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
        outputChars += pendingOutputChars;
        for (int i = 0; i < pendingSeen; i++) {
            choicesSeen.add(pendingSeenIndexes[i]); // a choice already seen adds nothing
        }
        for (int i = 0; i < pendingFinished; i++) {
            choicesFinished.add(pendingFinishedIndexes[i]);
        }
        if (firstFinishReason == null && pendingFinish != null) {
            firstFinishReason = pendingFinish;
        }
        if ((scan & USAGE) != 0) {
            usage = new TokenUsage(scannedUsage[0], scannedUsage[2], scannedUsage[1]);
            if (!clientWantsUsage) {
                return true; // a usage-only chunk, counted; the client did not ask for it
            }
        }
        if ((scan & SPLICE_TIER) != 0) {
            int open = 0;
            while (json[open] != '{') {
                open++;
            }
            edit(open + 1, open + 1, TIER);
        }
        out.writeBytes(DATA);
        int from = 0;
        for (int i = 0; i < edits; i++) {
            out.writeBytes(json, from, editStart[i] - from);
            if (editKind[i] == TIER) {
                out.writeBytes(tierField);
            } else if (editKind[i] == MODEL) {
                out.writeBytes(quotedModel);
            }
            from = editEnd[i];
        }
        out.writeBytes(json, from, length - from);
        out.writeBytes(EVENT_END);
        return true;
    }

    /**
     * Byte edits of the fast path, kept in order of position: the range [start, end) replaced by the kind's bytes
     * (nothing, the tier, the model). At most one of each kind per chunk.
     */
    private final int[] editStart = new int[3];
    private final int[] editEnd = new int[3];
    private final int[] editKind = new int[3];
    private int edits;
    private static final int CUT = 0;
    private static final int TIER = 1;
    private static final int MODEL = 2;
    /** What a chunk read by the fast path adds to the stream's records, committed only when it is sent. */
    private int[] pendingSeenIndexes = new int[4];
    private int pendingSeen;
    private int[] pendingFinishedIndexes = new int[4];
    private int pendingFinished;
    private long pendingOutputChars;
    private String pendingFinish;

    /** {@code indexes} with {@code index} at {@code at}, grown when full (only for a chunk with many choices). */
    private static int[] add(int[] indexes, int at, int index) {
        int[] out = at < indexes.length ? indexes : Arrays.copyOf(indexes, indexes.length * 2);
        out[at] = index;
        return out;
    }

    /** Adds an edit in order: by start, and an insertion (the tier) before a cut that starts at the same place. */
    private void edit(int start, int end, int kind) {
        int i = edits++;
        while (i > 0 && (editStart[i - 1] > start || editStart[i - 1] == start && editEnd[i - 1] > end)) {
            editStart[i] = editStart[i - 1];
            editEnd[i] = editEnd[i - 1];
            editKind[i] = editKind[i - 1];
            i--;
        }
        editStart[i] = start;
        editEnd[i] = end;
        editKind[i] = kind;
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
            edit(start, after + 1, CUT);
            return;
        }
        int before = start - 1;
        while (before > 0 && isSpace(json[before])) {
            before--;
        }
        edit(json[before] == ',' ? before : start, end, CUT);
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
        boolean sawUsage = false;
        boolean usageRead = false;
        boolean sawModel = false;
        int choices = 0;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            if ("model".equals(name) && quotedModel != null) {
                if (p.nextToken() != JsonToken.VALUE_STRING || sawModel) {
                    return DECLINE;
                }
                sawModel = true;
                long start = p.currentTokenLocation().getByteOffset();
                boolean same = textIs(p, clientModel); // reads the string first: only then is its end known
                long end = p.currentLocation().getByteOffset();
                if (start < 0 || end <= start) {
                    return DECLINE;
                }
                if (!same) {
                    edit((int) start, (int) end, MODEL);
                }
                continue;
            }
            if ("usage".equals(name)) {
                long start = p.currentTokenLocation().getByteOffset();
                JsonToken value = p.nextToken();
                if (sawUsage) {
                    return DECLINE;
                }
                sawUsage = true;
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

    /**
     * One choice, its start token read: {@link #DECLINE}, {@link #OUTPUT} or 0; notes its index, finish reason and
     * output bytes as pending.
     */
    private int scanChoice(JsonParser p, JsonToken start) throws IOException {
        if (start != JsonToken.START_OBJECT) {
            return DECLINE;
        }
        boolean deltaObject = false;
        boolean deltaOutput = false;
        boolean textOutput = false;
        int index = 0;
        String finish = null;
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
                        case "content", "refusal", "reasoning_content" -> {
                            if (v == JsonToken.VALUE_STRING && p.getTextLength() > 0) {
                                deltaOutput = true;
                                pendingOutputChars += p.getTextLength();
                            }
                        }
                        default -> p.skipChildren();
                    }
                }
            } else if ("text".equals(name)) {
                if (value == JsonToken.VALUE_STRING && p.getTextLength() > 0) {
                    textOutput = true;
                    pendingOutputChars += p.getTextLength();
                }
            } else if ("index".equals(name)) {
                if (value != JsonToken.VALUE_NUMBER_INT) {
                    return DECLINE;
                }
                index = p.getIntValue();
            } else if ("finish_reason".equals(name)) {
                if (value == JsonToken.VALUE_STRING) {
                    finish = p.getText();
                } else if (value != JsonToken.VALUE_NULL) {
                    return DECLINE;
                }
            } else {
                p.skipChildren();
            }
        }
        pendingSeenIndexes = add(pendingSeenIndexes, pendingSeen++, index);
        if (finish != null) {
            pendingFinishedIndexes = add(pendingFinishedIndexes, pendingFinished++, index);
            if (index == 0 && pendingFinish == null) {
                pendingFinish = finish;
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
