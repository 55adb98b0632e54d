package io.fairlane.gateway.lane.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.openai.TokenUsage;
import io.fairlane.gateway.openai.Usages;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A complete (unstreamed) upstream answer made into what OpenAI would have sent: usage counts as integers with
 * their detail objects, tool calls typed, {@code finish_reason: tool_calls} where calls were made, and the tier the
 * gateway scheduled the request in. The common case costs no re-serialisation: {@link ResponseScan} reads the
 * answer once as tokens and, when nothing needs repair, its bytes go out as they came, with {@code service_tier}
 * spliced in after the opening brace when it was missing; otherwise the answer is parsed into a tree, repaired
 * and written again.
 */
final class ResponseRepair {

    /**
     * The answer to send.
     *
     * @param body          the bytes for the client (the caller owns them)
     * @param usage         the tokens the answer reports, or {@link TokenUsage#NONE} when it has no usage
     * @param carriedOutput whether it holds generated output (content, text or tool calls), for TTFT
     */
    record Repaired(ByteBuf body, TokenUsage usage, boolean carriedOutput) {
    }

    private ResponseRepair() {
    }

    /**
     * The repaired answer, or null when it is not a JSON object.
     *
     * @param buffered    the upstream's bytes (not consumed)
     * @param tier        the tier to state, or null for embeddings (which carry none)
     * @param choices     whether the answer has choices to repair (not for embeddings)
     */
    static Repaired of(ByteBuf buffered, String tier, boolean choices, ByteBufAllocator alloc) {
        return of(buffered, tier, choices, null, alloc);
    }

    /**
     * The repaired answer, or null when it is not a JSON object.
     *
     * @param clientModel the name {@code model} must say, or null to leave the upstream's
     */
    static Repaired of(ByteBuf buffered, String tier, boolean choices, String clientModel, ByteBufAllocator alloc) {
        if (!buffered.isReadable()) {
            return null;
        }
        ResponseScan scan = ResponseScan.of(buffered, tier, clientModel);
        if (scan != null) {
            TokenUsage usage = scan.hasUsage()
                    ? new TokenUsage(scan.promptTokens(), scan.cachedTokens(), scan.completionTokens())
                    : TokenUsage.NONE;
            if (scan.spliceTier() && scan.modelStart() < 0 && buffered.readableBytes() <= COPY_UP_TO
                    && buffered.nioBufferCount() == 1) {
                return new Repaired(spliceCopy(buffered, tier, alloc), usage, scan.carriedOutput());
            }
            ByteBuf original = buffered.retainedDuplicate();
            if (scan.modelStart() >= 0) {
                original = replace(original, (int) scan.modelStart(), (int) scan.modelEnd(), clientModel, alloc);
            }
            return new Repaired(scan.spliceTier() ? spliceTier(original, tier, true, alloc) : original, usage,
                    scan.carriedOutput());
        }
        if (!(UpstreamErrors.parse(buffered) instanceof ObjectNode response)) {
            return null;
        }
        if (clientModel != null && response.has("model") && !clientModel.equals(response.path("model").asText())) {
            response.put("model", clientModel);
            return repairTree(response, buffered, tier, choices, true, alloc);
        }
        return repairTree(response, buffered, tier, choices, false, alloc);
    }

    /** {@code original} with bytes [start, end) after its reader index replaced by {@code value} as a JSON string. */
    private static ByteBuf replace(ByteBuf original, int start, int end, String value, ByteBufAllocator alloc) {
        int base = original.readerIndex();
        ByteBuf head = original.retainedSlice(base, start);
        ByteBuf middle = alloc.buffer(value.length() + 8);
        middle.writeCharSequence(Json.toString(value), StandardCharsets.UTF_8);
        ByteBuf tail = original.retainedSlice(base + end, original.writerIndex() - base - end);
        original.release();
        return alloc.compositeBuffer(3).addComponents(true, head, middle, tail);
    }

    /** The tree path, for an answer {@link ResponseScan} declined. */
    private static Repaired repairTree(ObjectNode response, ByteBuf buffered, String tier, boolean choices,
                                       boolean renamed, ByteBufAllocator alloc) {
        boolean changed = renamed;
        TokenUsage usage = TokenUsage.NONE;
        if (response.get("usage") instanceof ObjectNode u) {
            changed = Usages.normalise(u, choices);
            usage = TokenUsage.of(u);
        }
        boolean spliceTier = false;
        boolean output = false;
        if (choices) {
            JsonNode sent = response.get("service_tier");
            if (sent == null || sent.isNull()) {
                spliceTier = sent == null;
                changed |= sent != null;
                response.put("service_tier", tier);
            } else if (!tier.equals(sent.asText())) {
                response.put("service_tier", tier);
                changed = true;
            }
            int repaired = repairChoices(response);
            changed |= (repaired & CHANGED) != 0;
            output = (repaired & OUTPUT) != 0;
        }
        if (changed) {
            return new Repaired(Json.write(alloc, response), usage, output);
        }
        ByteBuf original = buffered.retainedDuplicate();
        return new Repaired(spliceTier ? spliceTier(original, tier, response.size() > 1, alloc) : original, usage,
                output);
    }

    private static final int CHANGED = 1;
    private static final int OUTPUT = 2;

    /**
     * Types tool calls and sets {@code finish_reason: tool_calls} where calls were made; returns {@link #CHANGED}
     * if it changed anything, {@link #OUTPUT} if a choice carries output.
     */
    private static int repairChoices(ObjectNode response) {
        boolean changed = false;
        boolean output = false;
        if (response.get("choices") instanceof ArrayNode choices) {
            for (JsonNode c : choices) {
                if (!(c instanceof ObjectNode choice)) {
                    continue;
                }
                JsonNode message = choice.get("message");
                if (message != null && message.get("tool_calls") instanceof ArrayNode calls && !calls.isEmpty()) {
                    output = true;
                    for (JsonNode call : calls) {
                        if (call instanceof ObjectNode o && !o.has("type")) {
                            o.put("type", "function");
                            changed = true;
                        }
                    }
                    if ("stop".equals(choice.path("finish_reason").asText())) {
                        choice.put("finish_reason", "tool_calls");
                        changed = true;
                    }
                }
                if (message != null && message.path("content").isTextual() || choice.path("text").isTextual()) {
                    output = true;
                }
            }
        }
        return (changed ? CHANGED : 0) | (output ? OUTPUT : 0);
    }

    /** {@code original} with {@code "service_tier":"<tier>"} put first in its object (takes {@code original}). */
    private static ByteBuf spliceTier(ByteBuf original, String tier, boolean moreFields, ByteBufAllocator alloc) {
        int start = original.readerIndex();
        int open = original.indexOf(start, original.writerIndex(), (byte) '{');
        byte[] field = tierField(tier);
        ByteBuf head = alloc.buffer(open + 1 - start + field.length + 1);
        head.writeBytes(original, start, open + 1 - start);
        head.writeBytes(field);
        if (moreFields) {
            head.writeByte(',');
        }
        original.readerIndex(open + 1);
        return alloc.compositeBuffer(2).addComponents(true, head, original);
    }

    /**
     * {@link #spliceTier} of a small answer ({@code buffered}, not consumed, at most {@link #COPY_UP_TO} bytes,
     * more fields after the tier) into one new buffer: the copy costs less than the objects of a composite, and
     * goes through the source's own reused NIO view rather than a view made per copy.
     */
    private static ByteBuf spliceCopy(ByteBuf buffered, String tier, ByteBufAllocator alloc) {
        int start = buffered.readerIndex();
        int end = buffered.writerIndex();
        int open = buffered.indexOf(start, end, (byte) '{');
        byte[] field = tierField(tier);
        ByteBuf out = alloc.buffer(end - start + field.length + 1);
        out.writeBytes(buffered.internalNioBuffer(start, open + 1 - start));
        out.writeBytes(field);
        out.writeByte(',');
        out.writeBytes(buffered.internalNioBuffer(open + 1, end - open - 1));
        return out;
    }

    /** The largest answer {@link #spliceCopy} takes; larger ones are spliced without a copy. */
    static final int COPY_UP_TO = 16 * 1024;
    /** {@code "service_tier":"<tier>"} per tier, made once; tiers are a fixed set. */
    private static final ConcurrentHashMap<String, byte[]> TIER_FIELDS = new ConcurrentHashMap<>();

    private static byte[] tierField(String tier) {
        return TIER_FIELDS.computeIfAbsent(tier,
                t -> ("\"service_tier\":" + Json.toString(t)).getBytes(StandardCharsets.UTF_8));
    }
}
