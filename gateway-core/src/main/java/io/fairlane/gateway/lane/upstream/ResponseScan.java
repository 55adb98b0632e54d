package io.fairlane.gateway.lane.upstream;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.util.concurrent.FastThreadLocal;
import java.io.IOException;
import java.io.InputStream;

/**
 * The fast path for a complete (non-stream) upstream answer: one pass of Jackson's token stream, no tree,
 * deciding whether the answer already keeps the contract, so that its bytes can be sent as they came.
 * It does when its {@code usage} (if any) has every count a non-negative integer and both detail objects
 * with {@code cached_tokens} and {@code reasoning_tokens} (embeddings: prompt and total only), its
 * {@code service_tier} is the one scheduled or absent (to be spliced in), and no choice holds tool calls
 * (those may need typing). Anything else, duplicate fields and trailing bytes included, is declined and the
 * caller takes the tree path, which repairs.
 *
 * @param spliceTier     whether {@code service_tier} is missing and must be added
 * @param carriedOutput  whether some choice holds text content
 * @param hasUsage       whether a usage object was read (the counts are 0 otherwise)
 * @param modelStart     where the {@code model} value to replace starts (its opening quote), or -1 when the answer
 *                       already names the model the client asked for (or no rename was asked)
 * @param modelEnd       where that value ends (after its closing quote)
 */
public record ResponseScan(boolean spliceTier, boolean carriedOutput, boolean hasUsage, int promptTokens,
                           int completionTokens, int cachedTokens, long modelStart, long modelEnd) {

    public ResponseScan(boolean spliceTier, boolean carriedOutput, boolean hasUsage, int promptTokens,
                        int completionTokens, int cachedTokens) {
        this(spliceTier, carriedOutput, hasUsage, promptTokens, completionTokens, cachedTokens, -1, -1);
    }

    /** The counts OpenAI's usage detail objects hold, which must not be null or fractional. */
    private static final java.util.Set<String> DETAIL_COUNTS = java.util.Set.of("cached_tokens", "audio_tokens",
            "reasoning_tokens", "accepted_prediction_tokens", "rejected_prediction_tokens", "text_tokens",
            "image_tokens");

    /**
     * Scans {@code body}; null when it needs the tree path.
     *
     * @param tier the tier to echo, or null for an answer that carries none (embeddings)
     */
    public static ResponseScan of(InputStream body, String tier) {
        return of(body, tier, null);
    }

    /**
     * Scans {@code body}; null when it needs the tree path.
     *
     * @param tier        the tier to echo, or null for an answer that carries none (embeddings)
     * @param clientModel the name {@code model} must say, or null to leave the upstream's
     */
    /**
     * Scans {@code body} (not consumed); null when it needs the tree path. An answer of up to {@link #SCRATCH}
     * bytes is copied into the thread's scratch array (an event loop's, kept for the thread's life) and read
     * from there: no stream over the buffer, and no buffer view made per read (what {@code ByteBuf.getBytes}
     * makes of a direct buffer without Unsafe). A virtual thread, which would make a scratch array of its own
     * for one answer, reads through a stream.
     */
    static ResponseScan of(ByteBuf body, String tier, String clientModel) {
        int n = body.readableBytes();
        if (n > SCRATCH || body.nioBufferCount() != 1 || Thread.currentThread().isVirtual()) {
            return of(new ByteBufInputStream(body.duplicate()), tier, clientModel);
        }
        byte[] bytes = SCRATCH_BYTES.get();
        body.internalNioBuffer(body.readerIndex(), n).get(bytes, 0, n);
        return of(bytes, n, tier, clientModel);
    }

    /**
     * {@link #of(InputStream, String, String)} of {@code json[0, length)}, read by {@link JsonBytes}: no parser
     * and nothing allocated but the result. What the byte reader does not take goes to Jackson's scan, which
     * decides.
     */
    static ResponseScan of(byte[] json, int length, String tier, String clientModel) {
        JsonBytes p = READERS.get();
        p.reset(json, length);
        try {
            ResponseScan scan = scan(p, tier, clientModel);
            if (scan != null) {
                return scan;
            }
        } catch (JsonBytes.Malformed e) {
            // Jackson's scan decides
        }
        try (JsonParser jp = UpstreamJson.MAPPER.getFactory().createParser(json, 0, length)) {
            return scan(jp, tier, clientModel);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static final FastThreadLocal<JsonBytes> READERS = new FastThreadLocal<>() {
        @Override
        protected JsonBytes initialValue() {
            return new JsonBytes();
        }
    };
    private static final byte[] MODEL = ChunkScan.ascii("model");
    private static final byte[] USAGE = ChunkScan.ascii("usage");
    private static final byte[] SERVICE_TIER = ChunkScan.ascii("service_tier");
    private static final byte[] CHOICES = ChunkScan.ascii("choices");
    private static final byte[] MESSAGE = ChunkScan.ascii("message");
    private static final byte[] TOOL_CALLS = ChunkScan.ascii("tool_calls");
    private static final byte[] CONTENT = ChunkScan.ascii("content");
    private static final byte[] TEXT = ChunkScan.ascii("text");

    /** {@link #scan(JsonParser, String, String)} over bytes; null also where only decoding would tell. */
    private static ResponseScan scan(JsonBytes p, String tier, String clientModel) {
        if (p.next() != JsonBytes.START_OBJECT) {
            return null;
        }
        boolean withDetails = tier != null;
        int[] usage = null;
        boolean sawTier = false;
        boolean tierMatches = false;
        boolean sawChoices = false;
        boolean output = false;
        int fields = 0;
        long modelStart = -1;
        long modelEnd = -1;
        boolean sawModel = false;
        int t;
        while ((t = p.next()) == JsonBytes.FIELD_NAME) {
            fields++;
            int name = p.is(MODEL) ? 1 : p.is(USAGE) ? 2 : p.is(SERVICE_TIER) ? 3 : p.is(CHOICES) ? 4 : 0;
            int value = p.next();
            switch (name) {
                case 1 -> {
                    if (clientModel == null) {
                        p.skipChildren();
                        continue;
                    }
                    if (sawModel || value != JsonBytes.STRING) {
                        return null;
                    }
                    sawModel = true;
                    if (p.escaped() || !p.isAscii(clientModel)) { // replacing a name with itself is harmless
                        modelStart = p.tokenStart();
                        modelEnd = p.tokenEnd();
                    }
                }
                case 2 -> {
                    if (usage != null || value != JsonBytes.START_OBJECT) {
                        return null;
                    }
                    usage = new int[4];
                    if (!ChunkScan.usage(p, withDetails, true, usage)) {
                        return null;
                    }
                }
                case 3 -> {
                    if (sawTier || value != JsonBytes.STRING || p.escaped()) {
                        return null;
                    }
                    sawTier = true;
                    tierMatches = tier != null && p.isAscii(tier);
                }
                case 4 -> {
                    if (sawChoices) {
                        return null;
                    }
                    sawChoices = true;
                    if (value != JsonBytes.START_ARRAY) {
                        p.skipChildren();
                        continue;
                    }
                    while ((t = p.next()) != JsonBytes.END_ARRAY) {
                        int c = choice(p, t);
                        if (c < 0) {
                            return null;
                        }
                        output |= c > 0;
                    }
                }
                default -> p.skipChildren();
            }
        }
        if (t != JsonBytes.END_OBJECT || p.next() != JsonBytes.END) {
            return null;
        }
        boolean splice = tier != null && !sawTier;
        if (tier != null && sawTier && !tierMatches) {
            return null;
        }
        if (splice && fields == 0) {
            return null; // nothing to put a comma before; the tree path writes it
        }
        return usage == null ? new ResponseScan(splice, output, false, 0, 0, 0, modelStart, modelEnd)
                : new ResponseScan(splice, output, true, usage[0], usage[1], usage[2], modelStart, modelEnd);
    }

    /** {@link #choice(JsonParser, JsonToken)} over bytes. */
    private static int choice(JsonBytes p, int start) {
        if (start != JsonBytes.START_OBJECT) {
            p.skipChildren();
            return 0;
        }
        int output = 0;
        while (p.next() == JsonBytes.FIELD_NAME) {
            boolean message = p.is(MESSAGE);
            boolean text = !message && p.is(TEXT);
            int value = p.next();
            if (message && value == JsonBytes.START_OBJECT) {
                while (p.next() == JsonBytes.FIELD_NAME) {
                    boolean calls = p.is(TOOL_CALLS);
                    boolean content = !calls && p.is(CONTENT);
                    int v = p.next();
                    if (calls && v == JsonBytes.START_ARRAY) {
                        if (p.next() != JsonBytes.END_ARRAY) {
                            return -1; // calls may need their type, the finish reason tool_calls
                        }
                    } else if (content && v == JsonBytes.STRING) {
                        output = 1;
                    } else {
                        p.skipChildren();
                    }
                }
            } else if (text && value == JsonBytes.STRING) {
                output = 1;
            } else {
                p.skipChildren();
            }
        }
        return output;
    }

    /** The largest answer {@link #of(ByteBuf, String, String)} copies to read. */
    static final int SCRATCH = 16 * 1024;
    private static final FastThreadLocal<byte[]> SCRATCH_BYTES = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[SCRATCH];
        }
    };

    public static ResponseScan of(InputStream body, String tier, String clientModel) {
        try (JsonParser p = UpstreamJson.MAPPER.getFactory().createParser(body)) {
            return scan(p, tier, clientModel);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static ResponseScan scan(JsonParser p, String tier, String clientModel) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            return null;
        }
        boolean withDetails = tier != null;
        int[] usage = null;
        String tierSent = null;
        boolean sawChoices = false;
        boolean output = false;
        int fields = 0;
        long modelStart = -1;
        long modelEnd = -1;
        boolean sawModel = false;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            fields++;
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "model" -> {
                    if (clientModel == null) {
                        p.skipChildren();
                        continue;
                    }
                    if (sawModel || value != JsonToken.VALUE_STRING) {
                        return null;
                    }
                    sawModel = true;
                    long start = p.currentTokenLocation().getByteOffset();
                    if (!clientModel.equals(p.getText())) {
                        modelStart = start;
                        modelEnd = p.currentLocation().getByteOffset();
                        if (modelStart < 0 || modelEnd <= modelStart) {
                            return null;
                        }
                    }
                }
                case "usage" -> {
                    if (usage != null || value != JsonToken.START_OBJECT) {
                        return null;
                    }
                    usage = usage(p, withDetails);
                    if (usage == null) {
                        return null;
                    }
                }
                case "service_tier" -> {
                    if (tierSent != null || value != JsonToken.VALUE_STRING) {
                        return null;
                    }
                    tierSent = p.getText();
                }
                case "choices" -> {
                    if (sawChoices) {
                        return null;
                    }
                    sawChoices = true;
                    if (value != JsonToken.START_ARRAY) {
                        p.skipChildren();
                        continue;
                    }
                    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                        int c = choice(p, t);
                        if (c < 0) {
                            return null;
                        }
                        output |= c > 0;
                    }
                }
                default -> p.skipChildren();
            }
        }
        if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
            return null;
        }
        boolean splice = false;
        if (tier != null) {
            if (tierSent == null) {
                splice = true;
            } else if (!tier.equals(tierSent)) {
                return null;
            }
        }
        if (splice && fields == 0) {
            return null; // nothing to put a comma before; the tree path writes it
        }
        return usage == null ? new ResponseScan(splice, output, false, 0, 0, 0, modelStart, modelEnd)
                : new ResponseScan(splice, output, true, usage[0], usage[1], usage[2], modelStart, modelEnd);
    }

    /** A choice, its start token read: -1 to decline, 1 if it holds text content, 0 otherwise. */
    private static int choice(JsonParser p, JsonToken start) throws IOException {
        if (start != JsonToken.START_OBJECT) {
            p.skipChildren();
            return 0;
        }
        int output = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if ("message".equals(name) && value == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken v = p.nextToken();
                    if ("tool_calls".equals(field) && v == JsonToken.START_ARRAY) {
                        if (p.nextToken() != JsonToken.END_ARRAY) {
                            return -1; // calls may need their type, the finish reason tool_calls
                        }
                    } else if ("content".equals(field) && v == JsonToken.VALUE_STRING) {
                        output = 1;
                    } else {
                        p.skipChildren();
                    }
                }
            } else if ("text".equals(name) && value == JsonToken.VALUE_STRING) {
                output = 1;
            } else {
                p.skipChildren();
            }
        }
        return output;
    }

    /** A usage object, its start read: {prompt, completion, cached}, or null when it needs repair. */
    private static int[] usage(JsonParser p, boolean withDetails) throws IOException {
        return usage(p, withDetails, true);
    }

    /**
     * A usage object, its start read: {prompt, completion, cached}, or null when its counts cannot be read as
     * they are (or, with {@code complete}, when it needs repair before a client may see it).
     *
     * @param withDetails whether detail objects may appear (chat and legacy completions, not embeddings)
     * @param complete    whether every count and, with details, both detail objects must be present; without,
     *                    a missing count is 0 (metering a usage chunk that is not forwarded)
     */
    static int[] usage(JsonParser p, boolean withDetails, boolean complete) throws IOException {
        int prompt = -1;
        int completion = -1;
        int total = -1;
        int cached = -1;
        int reasoning = -1;
        boolean promptDetails = false;
        boolean completionDetails = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            switch (name) {
                case "prompt_tokens" -> prompt = count(p, v, prompt);
                case "completion_tokens" -> completion = count(p, v, completion);
                case "total_tokens" -> total = count(p, v, total);
                case "prompt_tokens_details", "completion_tokens_details" -> {
                    boolean isPrompt = name.startsWith("prompt");
                    if (!withDetails || v != JsonToken.START_OBJECT || (isPrompt ? promptDetails : completionDetails)) {
                        return null;
                    }
                    int key = details(p, isPrompt ? "cached_tokens" : "reasoning_tokens");
                    if (key < 0) {
                        return null;
                    }
                    if (isPrompt) {
                        promptDetails = true;
                        cached = key;
                    } else {
                        completionDetails = true;
                        reasoning = key;
                    }
                }
                default -> p.skipChildren();
            }
            if (prompt == -2 || completion == -2 || total == -2) {
                return null;
            }
        }
        if (prompt < 0 || complete && total < 0) {
            return null;
        }
        if (complete && withDetails && (completion < 0 || cached < 0 || reasoning < 0)) {
            return null;
        }
        return new int[] {prompt, Math.max(completion, 0), Math.max(cached, 0)};
    }

    /** A count: its value when a non-negative int seen once, -2 otherwise. */
    private static int count(JsonParser p, JsonToken v, int before) throws IOException {
        if (before != -1 || v != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT) {
            p.skipChildren();
            return -2;
        }
        int n = p.getIntValue();
        return n >= 0 ? n : -2;
    }

    /** A detail object, its start read: the value of {@code key}, or -1 when something needs repair. */
    private static int details(JsonParser p, String key) throws IOException {
        int found = -1;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if (DETAIL_COUNTS.contains(name)) {
                if (v == JsonToken.VALUE_NULL || v == JsonToken.VALUE_NUMBER_FLOAT) {
                    return -1;
                }
                if (name.equals(key)) {
                    int n = count(p, v, found);
                    if (n < 0) {
                        return -1;
                    }
                    found = n;
                    continue;
                }
            }
            p.skipChildren();
        }
        return found;
    }
}
