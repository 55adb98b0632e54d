package io.fairlane.gateway.lane.upstream;

import static io.fairlane.gateway.lane.upstream.JsonBytes.END_ARRAY;
import static io.fairlane.gateway.lane.upstream.JsonBytes.END_OBJECT;
import static io.fairlane.gateway.lane.upstream.JsonBytes.FIELD_NAME;
import static io.fairlane.gateway.lane.upstream.JsonBytes.FLOAT;
import static io.fairlane.gateway.lane.upstream.JsonBytes.INT;
import static io.fairlane.gateway.lane.upstream.JsonBytes.NULL;
import static io.fairlane.gateway.lane.upstream.JsonBytes.START_ARRAY;
import static io.fairlane.gateway.lane.upstream.JsonBytes.START_OBJECT;
import static io.fairlane.gateway.lane.upstream.JsonBytes.STRING;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The reading half of {@link StreamNormalizer}'s fast path: one pass over a chunk's bytes ({@link JsonBytes}, no
 * parser, no string, nothing allocated) that says whether the chunk may go out as it came, what it adds to the
 * stream's records (choices seen and finished, output, usage counts), and which byte edits it needs on the way (a
 * {@code "usage":null} the client did not ask for cut out, the tier spliced in, the model name replaced); then
 * {@link #write} copies it to the outgoing buffer with those edits. Anything that might need a repair, and
 * anything the byte reader does not take, is {@link #DECLINE}: the full path decides.
 *
 * <p>One per stream. Confined to one event loop.
 */
final class ChunkScan {

    static final int DECLINE = -1;
    static final int OUTPUT = 1;
    static final int SPLICE_TIER = 2;
    static final int USAGE = 4;

    private static final byte[] CHAT_CHUNK = ascii("chat.completion.chunk");
    private static final byte[] MODEL = ascii("model");
    private static final byte[] USAGE_NAME = ascii("usage");
    private static final byte[] ERROR = ascii("error");
    private static final byte[] OBJECT = ascii("object");
    private static final byte[] SERVICE_TIER = ascii("service_tier");
    private static final byte[] CHOICES = ascii("choices");
    private static final byte[] DELTA = ascii("delta");
    private static final byte[] TOOL_CALLS = ascii("tool_calls");
    private static final byte[] CONTENT = ascii("content");
    private static final byte[] REFUSAL = ascii("refusal");
    private static final byte[] REASONING_CONTENT = ascii("reasoning_content");
    private static final byte[] TEXT = ascii("text");
    private static final byte[] INDEX = ascii("index");
    private static final byte[] FINISH_REASON = ascii("finish_reason");
    private static final byte[] PROMPT_TOKENS = ascii("prompt_tokens");
    private static final byte[] COMPLETION_TOKENS = ascii("completion_tokens");
    private static final byte[] TOTAL_TOKENS = ascii("total_tokens");
    private static final byte[] PROMPT_DETAILS = ascii("prompt_tokens_details");
    private static final byte[] COMPLETION_DETAILS = ascii("completion_tokens_details");
    private static final byte[] CACHED_TOKENS = ascii("cached_tokens");
    private static final byte[] REASONING_TOKENS = ascii("reasoning_tokens");
    /** The counts OpenAI's usage detail objects hold, which must not be null or fractional. */
    private static final byte[][] DETAIL_COUNTS = {CACHED_TOKENS, ascii("audio_tokens"), REASONING_TOKENS,
        ascii("accepted_prediction_tokens"), ascii("rejected_prediction_tokens"), ascii("text_tokens"),
        ascii("image_tokens")};
    /** The finish reasons OpenAI sends, kept as strings once so that reading one makes none. */
    private static final String[] FINISH_REASONS = {"stop", "length", "tool_calls", "content_filter",
        "function_call"};
    private static final byte[][] FINISH_REASON_BYTES = Arrays.stream(FINISH_REASONS).map(ChunkScan::ascii)
            .toArray(byte[][]::new);

    private static final int CUT = 0;
    private static final int TIER = 1;
    private static final int MODEL_EDIT = 2;

    private final boolean clientWantsUsage;
    private final byte[] serviceTier;
    private final byte[] clientModel;
    private final JsonBytes p = new JsonBytes();

    /**
     * Byte edits of the chunk, kept in order of position: the range [start, end) replaced by the kind's bytes
     * (nothing, the tier, the model). At most one of each kind per chunk.
     */
    private final int[] editStart = new int[3];
    private final int[] editEnd = new int[3];
    private final int[] editKind = new int[3];
    private int edits;
    /** Where the chunk's object opens (the tier goes right after). */
    private int open;
    // What the chunk adds to the stream's records, committed by the caller only when it is sent.
    int[] seenIndexes = new int[4];
    int seen;
    int[] finishedIndexes = new int[4];
    int finished;
    long outputChars;
    String finish;
    /** The counts of the usage object read, when {@link #USAGE}: prompt, completion, cached, reasoning. */
    final int[] usage = new int[4];

    /** Strings in the chunk that carry output text, and where the last one's body lies. */
    private int carriers;
    private int carrierStart;
    private int carrierEnd;

    /**
     * The shape of the last plain token chunk (one choice, one string of output, no finish, no usage): its bytes,
     * where its output string's body lies, and what its scan found. Consecutive chunks of a stream differ only in
     * that string, so a chunk whose bytes before and after the body are the same, around a well-formed string
     * body, reads exactly as the remembered one did, with that body's length: two array comparisons instead of a
     * token-by-token read.
     */
    private byte[] shape = new byte[0];
    private int shapeLength;
    private int shapeBodyStart;
    private int shapeBodyEnd;
    private int shapeFlags;
    private int shapeIndex;
    private final int[] shapeEditStart = new int[3];
    private final int[] shapeEditEnd = new int[3];
    private final int[] shapeEditKind = new int[3];
    private int shapeEdits;
    /** A chunk larger than this is not remembered (token chunks are a few hundred bytes). */
    private static final int MAX_SHAPE = 4096;
    private static final int NO_MATCH = -2;
    /** Chunks read by the remembered shape (for tests). */
    int shapeMatches;

    /**
     * @param serviceTier the tier every chat chunk must say, or null
     * @param clientModel the name chunks must carry in {@code model}, or null to leave the upstream's
     */
    ChunkScan(boolean clientWantsUsage, String serviceTier, String clientModel) {
        this.clientWantsUsage = clientWantsUsage;
        this.serviceTier = serviceTier == null ? null : serviceTier.getBytes(StandardCharsets.UTF_8);
        this.clientModel = clientModel == null ? null : clientModel.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Reads the chunk {@code json[0, length)}: {@link #DECLINE}, or flags {@link #OUTPUT}, {@link #SPLICE_TIER} and
     * {@link #USAGE}. A {@code "usage":null} (OpenAI sends one on every chunk of a stream that asked for usage, and
     * the gateway always asks) stays for a client that asked too and is marked for cutting otherwise. A usage
     * object is read into {@link #usage}: for a client that asked, it must be complete to pass as it is; for one
     * that did not, its counts are enough, as long as the chunk holds no choice (it is dropped whole).
     */
    int scan(byte[] json, int length) {
        edits = 0;
        seen = 0;
        finished = 0;
        outputChars = 0;
        finish = null;
        if (shapeLength > 0) {
            int same = sameShape(json, length);
            if (same != NO_MATCH) {
                return same;
            }
        }
        carriers = 0;
        p.reset(json, length);
        int flags;
        try {
            flags = read(json, length);
        } catch (JsonBytes.Malformed e) {
            return DECLINE;
        }
        if (flags != DECLINE) {
            remember(json, length, flags);
        }
        return flags;
    }

    /** Keeps the shape of a plain token chunk just read, for the next to be matched against. */
    private void remember(byte[] json, int length, int flags) {
        if ((flags & OUTPUT) == 0 || (flags & USAGE) != 0 || carriers != 1 || seen != 1 || finished != 0
                || length > MAX_SHAPE) {
            return;
        }
        if (shape.length < length) {
            shape = new byte[Math.max(length, 256)];
        }
        System.arraycopy(json, 0, shape, 0, length);
        shapeLength = length;
        shapeBodyStart = carrierStart;
        shapeBodyEnd = carrierEnd;
        shapeFlags = flags;
        shapeIndex = seenIndexes[0];
        shapeEdits = edits;
        System.arraycopy(editStart, 0, shapeEditStart, 0, edits);
        System.arraycopy(editEnd, 0, shapeEditEnd, 0, edits);
        System.arraycopy(editKind, 0, shapeEditKind, 0, edits);
    }

    /**
     * The remembered shape's reading of {@code json} when it has the same bytes around a non-empty, well-formed
     * output string; {@link #NO_MATCH} otherwise. The edits after the string move by its change in length; none
     * lies inside it (each is a whole field or the point after the opening brace).
     */
    private int sameShape(byte[] json, int length) {
        int suffix = shapeLength - shapeBodyEnd;
        int bodyEnd = length - suffix;
        if (bodyEnd <= shapeBodyStart
                || !Arrays.equals(json, 0, shapeBodyStart, shape, 0, shapeBodyStart)
                || !Arrays.equals(json, bodyEnd, length, shape, shapeBodyEnd, shapeLength)) {
            return NO_MATCH;
        }
        int units = JsonBytes.bodyUnits(json, shapeBodyStart, bodyEnd);
        if (units <= 0) {
            return NO_MATCH;
        }
        int shift = bodyEnd - shapeBodyEnd;
        for (int i = 0; i < shapeEdits; i++) {
            boolean after = shapeEditStart[i] >= shapeBodyEnd;
            editStart[i] = after ? shapeEditStart[i] + shift : shapeEditStart[i];
            editEnd[i] = after ? shapeEditEnd[i] + shift : shapeEditEnd[i];
            editKind[i] = shapeEditKind[i];
        }
        edits = shapeEdits;
        shapeMatches++;
        seenIndexes[0] = shapeIndex;
        seen = 1;
        outputChars = units;
        return shapeFlags;
    }

    private int read(byte[] json, int length) {
        if (p.next() != START_OBJECT) {
            return DECLINE;
        }
        open = p.tokenStart();
        boolean chatChunk = false;
        boolean tierSent = false;
        boolean output = false;
        boolean sawUsage = false;
        boolean usageRead = false;
        boolean sawModel = false;
        int choices = 0;
        int t;
        while ((t = p.next()) == FIELD_NAME) {
            if (clientModel != null && p.is(MODEL)) {
                if (p.next() != STRING || sawModel) {
                    return DECLINE;
                }
                sawModel = true;
                if (p.escaped() || !p.is(clientModel)) { // replacing a name that was the client's already is harmless
                    edit(p.tokenStart(), p.tokenEnd(), MODEL_EDIT);
                }
                continue;
            }
            if (p.is(USAGE_NAME)) {
                int start = p.tokenStart();
                int value = p.next();
                if (sawUsage) {
                    return DECLINE;
                }
                sawUsage = true;
                if (value == START_OBJECT) {
                    if (!usage(p, true, clientWantsUsage, usage)) {
                        return DECLINE;
                    }
                    usageRead = true;
                    continue;
                }
                if (value != NULL) {
                    return DECLINE;
                }
                if (!clientWantsUsage) {
                    cutField(json, length, start, p.tokenEnd());
                }
                continue;
            }
            if (p.is(ERROR)) {
                return DECLINE;
            }
            boolean object = p.is(OBJECT);
            boolean tier = !object && p.is(SERVICE_TIER);
            boolean choiceList = !object && !tier && p.is(CHOICES);
            int value = p.next();
            if (object) {
                if (value != STRING || p.escaped()) {
                    return DECLINE; // an escape: only decoding would tell what it says
                }
                chatChunk = p.is(CHAT_CHUNK);
            } else if (tier) {
                if (value != STRING || p.escaped() || serviceTier != null && !p.is(serviceTier)) {
                    return DECLINE; // to be overwritten: rare enough for the full path
                }
                tierSent = true;
            } else if (choiceList) {
                if (value != START_ARRAY) {
                    return DECLINE;
                }
                while ((t = p.next()) != END_ARRAY) {
                    int choice = choice(t);
                    if (choice == DECLINE) {
                        return DECLINE;
                    }
                    output |= choice == OUTPUT;
                    choices++;
                }
            } else {
                p.skipChildren();
            }
        }
        if (t != END_OBJECT || p.next() != JsonBytes.END) {
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
            edit(open + 1, open + 1, TIER);
        }
        return flags;
    }

    /** One choice, its start token read: {@link #DECLINE}, {@link #OUTPUT} or 0; notes its index and finish. */
    private int choice(int start) {
        if (start != START_OBJECT) {
            return DECLINE;
        }
        boolean deltaObject = false;
        boolean deltaOutput = false;
        boolean textOutput = false;
        int index = 0;
        String reason = null;
        while (p.next() == FIELD_NAME) {
            boolean delta = p.is(DELTA);
            boolean text = !delta && p.is(TEXT);
            boolean indexField = !delta && !text && p.is(INDEX);
            boolean finishField = !delta && !text && !indexField && p.is(FINISH_REASON);
            int value = p.next();
            if (delta && value == START_OBJECT) {
                deltaObject = true;
                while (p.next() == FIELD_NAME) {
                    if (p.is(TOOL_CALLS)) {
                        return DECLINE;
                    }
                    boolean carries = p.is(CONTENT) || p.is(REFUSAL) || p.is(REASONING_CONTENT);
                    int v = p.next();
                    if (carries && v == STRING && p.textLength() > 0) {
                        deltaOutput = true;
                        outputChars += p.textLength();
                        carrier();
                    } else {
                        p.skipChildren();
                    }
                }
            } else if (text) {
                if (value == STRING && p.textLength() > 0) {
                    textOutput = true;
                    outputChars += p.textLength();
                    carrier();
                }
            } else if (indexField) {
                if (value != INT) {
                    return DECLINE;
                }
                index = p.intValue();
            } else if (finishField) {
                if (value == STRING) {
                    if (p.escaped()) {
                        return DECLINE;
                    }
                    reason = finishReason();
                } else if (value != NULL) {
                    return DECLINE;
                }
            } else {
                p.skipChildren();
            }
        }
        seenIndexes = add(seenIndexes, seen++, index);
        if (reason != null) {
            finishedIndexes = add(finishedIndexes, finished++, index);
            if (index == 0 && finish == null) {
                finish = reason;
            }
        }
        return (deltaObject ? deltaOutput : textOutput) ? OUTPUT : 0;
    }

    /** Notes the current string as one that carries output: where its body lies, between its quotes. */
    private void carrier() {
        carriers++;
        carrierStart = p.tokenStart() + 1;
        carrierEnd = p.tokenEnd() - 1;
    }

    /** The current (unescaped) string as a finish reason: a kept one when it is one of OpenAI's. */
    private String finishReason() {
        for (int i = 0; i < FINISH_REASON_BYTES.length; i++) {
            if (p.is(FINISH_REASON_BYTES[i])) {
                return FINISH_REASONS[i];
            }
        }
        return p.text();
    }

    /**
     * A usage object, its start read from {@code p}, into {@code into} (prompt, completion, cached, reasoning):
     * false when its counts cannot be read as they are (or, with {@code complete}, when it needs repair before a
     * client may see it). Without {@code complete} a missing count is 0 (metering a usage chunk that is not
     * forwarded); without {@code withDetails} (embeddings) a detail object is a repair.
     */
    static boolean usage(JsonBytes p, boolean withDetails, boolean complete, int[] into) {
        int prompt = -1;
        int completion = -1;
        int total = -1;
        int cached = -1;
        int reasoning = -1;
        boolean promptDetails = false;
        boolean completionDetails = false;
        while (p.next() == FIELD_NAME) {
            int field = p.is(PROMPT_TOKENS) ? 1 : p.is(COMPLETION_TOKENS) ? 2 : p.is(TOTAL_TOKENS) ? 3
                    : p.is(PROMPT_DETAILS) ? 4 : p.is(COMPLETION_DETAILS) ? 5 : 0;
            int v = p.next();
            switch (field) {
                case 1 -> prompt = count(p, v, prompt);
                case 2 -> completion = count(p, v, completion);
                case 3 -> total = count(p, v, total);
                case 4, 5 -> {
                    boolean isPrompt = field == 4;
                    if (!withDetails || v != START_OBJECT || (isPrompt ? promptDetails : completionDetails)) {
                        return false;
                    }
                    int key = details(p, isPrompt ? CACHED_TOKENS : REASONING_TOKENS);
                    if (key < 0) {
                        return false;
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
                return false;
            }
        }
        if (prompt < 0 || complete && total < 0) {
            return false;
        }
        if (complete && withDetails && (completion < 0 || cached < 0 || reasoning < 0)) {
            return false;
        }
        into[0] = prompt;
        into[1] = Math.max(completion, 0);
        into[2] = Math.max(cached, 0);
        into[3] = Math.max(reasoning, 0);
        return true;
    }

    /** A count: its value when a non-negative int seen once, -2 otherwise. */
    private static int count(JsonBytes p, int v, int before) {
        if (before != -1 || v != INT || !p.fitsInt()) {
            p.skipChildren();
            return -2;
        }
        int n = p.intValue();
        return n >= 0 ? n : -2;
    }

    /** A detail object, its start read: the value of {@code key}, or -1 when something needs repair. */
    private static int details(JsonBytes p, byte[] key) {
        int found = -1;
        while (p.next() == FIELD_NAME) {
            boolean isKey = p.is(key);
            boolean detailCount = isKey || detailCount(p);
            int v = p.next();
            if (detailCount) {
                if (v == NULL || v == FLOAT) {
                    return -1;
                }
                if (isKey) {
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

    private static boolean detailCount(JsonBytes p) {
        for (byte[] name : DETAIL_COUNTS) {
            if (p.is(name)) {
                return true;
            }
        }
        return false;
    }

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

    /** Appends the chunk just scanned to {@code out} with its edits: {@code tierField} and {@code quotedModel}. */
    void write(byte[] json, int length, ByteBuf out, byte[] tierField, byte[] quotedModel) {
        int from = 0;
        for (int i = 0; i < edits; i++) {
            out.writeBytes(json, from, editStart[i] - from);
            if (editKind[i] == TIER) {
                out.writeBytes(tierField);
            } else if (editKind[i] == MODEL_EDIT) {
                out.writeBytes(quotedModel);
            }
            from = editEnd[i];
        }
        out.writeBytes(json, from, length - from);
    }
}
