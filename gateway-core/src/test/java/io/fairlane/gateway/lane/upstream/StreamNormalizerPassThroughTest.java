package io.fairlane.gateway.lane.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.openai.TokenUsage;
import io.fairlane.gateway.testing.Fixtures;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The byte-level fast path of {@link StreamNormalizer}: what it forwards, and what it must leave to the full path. */
class StreamNormalizerPassThroughTest {

    private static final String TEXT = "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"service_tier\":\"default\","
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}]}";

    /** The event the fast path wrote, or null when it declined (then it must have written nothing). */
    private static String pass(StreamNormalizer n, String json) {
        ByteBuf out = Unpooled.buffer();
        try {
            boolean taken = n.passThrough(json.getBytes(StandardCharsets.UTF_8), out);
            if (!taken) {
                assertThat(out.readableBytes()).as("bytes written by a declined pass").isZero();
                return null;
            }
            return out.toString(StandardCharsets.UTF_8);
        } finally {
            out.release();
        }
    }

    private static JsonNode data(String event) throws Exception {
        assertThat(event).startsWith("data: ").endsWith("\n\n");
        return Json.MAPPER.readTree(event.substring(6, event.length() - 2));
    }

    @Test
    void chunkNeedingNothing_isForwardedByteForByte() {
        assertThat(pass(new StreamNormalizer(false, "default"), TEXT)).isEqualTo("data: " + TEXT + "\n\n");
    }

    @Test
    void chatChunkWithoutTier_getsTheTierSplicedIn() throws Exception {
        String json = "{\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}";
        ObjectNode expected = (ObjectNode) Json.MAPPER.readTree(json);
        expected.put("service_tier", "flex");
        assertThat(data(pass(new StreamNormalizer(false, "flex"), json))).isEqualTo(expected);
    }

    @Test
    void completionChunkWithoutTier_isForwardedWithoutOne() {
        String json = "{\"object\":\"text_completion\",\"choices\":[{\"index\":0,\"text\":\"x\"}]}";
        assertThat(pass(new StreamNormalizer(false, "flex"), json)).isEqualTo("data: " + json + "\n\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"usage\":null,\"object\":\"chat.completion.chunk\",\"choices\":[]}",
        "{\"object\":\"chat.completion.chunk\", \"usage\" : null , \"choices\":[]}",
        "{\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":null}",
        "{\"object\":\"chat.completion.chunk\",\"choices\":[] , \"usage\": null }"})
    void nullUsageNotAskedFor_isCutOut(String json) throws Exception {
        assertThat(data(pass(new StreamNormalizer(false, "default"), json)))
                .isEqualTo(Json.MAPPER.readTree("{\"object\":\"chat.completion.chunk\",\"choices\":[],"
                        + "\"service_tier\":\"default\"}"));
    }

    @Test
    void nullUsageAskedFor_isKept() {
        String json = "{\"object\":\"chat.completion.chunk\",\"service_tier\":\"default\",\"choices\":[],\"usage\":null}";
        assertThat(pass(new StreamNormalizer(true, "default"), json)).isEqualTo("data: " + json + "\n\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // tool calls get ids, types, names and indexes
        "{\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0}]}}]}",
        // usage is repaired and metered
        "{\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":\"1\"}}",
        // a tier to overwrite
        "{\"object\":\"chat.completion.chunk\",\"service_tier\":\"priority\",\"choices\":[]}",
        "{\"object\":\"chat.completion.chunk\",\"service_tier\":null,\"choices\":[]}",
        // an error
        "{\"error\":{\"message\":\"boom\"}}",
        // not one JSON object, or more than one
        "[1]", "{\"a\":1}{\"b\":2}", "{\"a\":", "not json",
        // a data field of several lines
        "{\"object\":\"chat.completion.chunk\",\n\"choices\":[]}",
        // two usage fields
        "{\"usage\":null,\"usage\":null,\"choices\":[]}"})
    void chunkNeedingRepair_isLeftToTheFullPath(String json) {
        assertThat(pass(new StreamNormalizer(false, "default"), json)).isNull();
    }

    private static final String FULL_USAGE = "{\"prompt_tokens\":12,\"completion_tokens\":10,\"total_tokens\":22,"
            + "\"prompt_tokens_details\":{\"cached_tokens\":4,\"audio_tokens\":0},"
            + "\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0}}";

    @Test
    void usageChunkNotAskedFor_isCountedFromItsBytesAndDropped() {
        StreamNormalizer n = new StreamNormalizer(false, "default");
        String json = "{\"object\":\"chat.completion.chunk\",\"choices\":[],"
                + "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":10,\"total_tokens\":22}}";
        assertThat(pass(n, json)).isEmpty();
        assertThat(n.usage()).isEqualTo(new TokenUsage(12, 0, 10));
        assertThat(n.lastCarriedOutput()).isFalse();
    }

    @Test
    void completeUsageAskedFor_isForwardedByteForByteAndCounted() {
        StreamNormalizer n = new StreamNormalizer(true, "default");
        String json = "{\"object\":\"chat.completion.chunk\",\"service_tier\":\"default\",\"choices\":[],\"usage\":"
                + FULL_USAGE + "}";
        assertThat(pass(n, json)).isEqualTo("data: " + json + "\n\n");
        assertThat(n.usage()).isEqualTo(new TokenUsage(12, 4, 10));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // a client that asked for usage sees it repaired: details missing
        "true:{\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}",
        // a count that is not an integer
        "false:{\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":null}}",
        "false:{\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":1.5}}",
        // usage to cut out of a chunk that also carries a choice
        "false:{\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":1,\"total_tokens\":1}}"})
    void usageNeedingRepairOrCutting_isLeftToTheFullPath(String wantsAndJson) {
        int colon = wantsAndJson.indexOf(':');
        StreamNormalizer n = new StreamNormalizer(Boolean.parseBoolean(wantsAndJson.substring(0, colon)), "default");
        assertThat(pass(n, wantsAndJson.substring(colon + 1))).isNull();
        assertThat(n.usage()).isEqualTo(TokenUsage.NONE);
    }

    @Test
    void passThrough_ofAPrefix_readsOnlyThatPrefix() {
        StreamNormalizer n = new StreamNormalizer(false, "default");
        byte[] json = (TEXT + "garbage after the event").getBytes(StandardCharsets.UTF_8);
        ByteBuf out = Unpooled.buffer();
        try {
            assertThat(n.passThrough(json, TEXT.length(), out)).isTrue();
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("data: " + TEXT + "\n\n");
        } finally {
            out.release();
        }
    }

    @Test
    void finishAfterToolCalls_isLeftToTheFullPath() throws Exception {
        StreamNormalizer n = new StreamNormalizer(false, null);
        n.normalize((ObjectNode) Json.MAPPER.readTree("{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":"
                + "[{\"index\":0,\"id\":\"c\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}]}"));
        assertThat(pass(n, "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}")).isNull();
    }

    @Test
    void outputIsTracked_asOnTheFullPath() {
        StreamNormalizer n = new StreamNormalizer(false, null);
        pass(n, "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}");
        boolean roleOnly = n.lastCarriedOutput();
        pass(n, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}");
        boolean content = n.lastCarriedOutput();
        pass(n, "{\"choices\":[{\"index\":0,\"text\":\"hi\"}]}");
        assertThat(new Object[] {roleOnly, content, n.lastCarriedOutput(), n.outputChunks()})
                .containsExactly(false, true, true, 2);
    }

    static List<String> captures() {
        return Fixtures.captureNamesOrMissing();
    }

    /** Every recorded OpenAI stream comes out the same, chunk for chunk, whichever path each chunk takes. */
    @ParameterizedTest
    @MethodSource("captures")
    void recordedStream_comesOutAsTheFullPathMakesIt(String name) throws Exception {
        List<JsonNode> fast = new ArrayList<>();
        List<JsonNode> full = new ArrayList<>();
        for (boolean wantsUsage : new boolean[] {false, true}) {
            StreamNormalizer viaFast = new StreamNormalizer(wantsUsage, "default");
            StreamNormalizer viaFull = new StreamNormalizer(wantsUsage, "default");
            for (SseDecoder.Event e : events(Fixtures.capture(name))) {
                if (e.data().equals("[DONE]")) {
                    continue;
                }
                String made = pass(viaFast, e.data());
                if (made != null) {
                    if (!made.isEmpty()) { // empty: a usage chunk the client did not ask for, counted and dropped
                        fast.add(data(made));
                    }
                } else {
                    ObjectNode c = (ObjectNode) Json.MAPPER.readTree(e.bytes());
                    if (viaFast.normalize(c) == StreamNormalizer.Verdict.SEND) {
                        fast.add(c);
                    }
                }
                ObjectNode c = (ObjectNode) Json.MAPPER.readTree(e.bytes());
                if (viaFull.normalize(c) == StreamNormalizer.Verdict.SEND) {
                    full.add(c);
                }
                assertThat(viaFast.lastCarriedOutput()).isEqualTo(viaFull.lastCarriedOutput());
            }
            assertThat(viaFast.usage()).as("usage metered").isEqualTo(viaFull.usage());
        }
        // Tool-call ids made up by the gateway differ between runs: compare with them blanked.
        assertThat(blankMadeUpIds(fast)).isEqualTo(blankMadeUpIds(full));
    }

    private static List<SseDecoder.Event> events(String text) {
        try (SseDecoder d = new SseDecoder(UnpooledByteBufAllocator.DEFAULT, 1 << 20)) {
            ByteBuf b = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
            List<SseDecoder.Event> out = new ArrayList<>(d.feed(b));
            b.release();
            out.addAll(d.finish());
            return out;
        }
    }

    /** The chunks with made-up call ids blanked, as trees (field order is not part of the contract). */
    private static List<JsonNode> blankMadeUpIds(List<JsonNode> chunks) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode c : chunks) {
            out.add(Json.MAPPER.readTree(c.toString().replaceAll("\"call_[A-Za-z0-9]{24}\"", "\"call_?\"")));
        }
        return out;
    }
}
