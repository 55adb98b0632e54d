package io.fairlane.gateway.lane.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.Json;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fast path's byte reader against Jackson, the reference: it must never take what Jackson rejects, must count
 * text as Jackson does, and a chunk it lets through must come out as the full path would make it.
 */
class JsonBytesTest {

    private static final String[] CHUNKS = {
        "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1727346172,\"model\":\"m\",\"choices\":"
            + "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,"
            + "\"finish_reason\":null}]}",
        "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"service_tier\":\"default\",\"choices\":"
            + "[{\"index\":0,\"delta\":{\"content\":\" caf\u00e9 \\\"q\\\" \\u00e9 \ud83d\ude00\"},"
            + "\"finish_reason\":null}],"
            + "\"usage\":null}",
        "{\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":1,\"delta\":{},\"finish_reason\":\"stop\"},"
            + "{\"index\":0,\"delta\":{\"reasoning_content\":\"x\"},\"finish_reason\":\"length\"}]}",
        "{\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,"
            + "\"completion_tokens\":10,\"total_tokens\":22,\"prompt_tokens_details\":{\"cached_tokens\":3,"
            + "\"audio_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":1}}}",
        "{\"object\":\"text_completion\",\"choices\":[{\"index\":0,\"text\":\"a\\nb\",\"logprobs\":{\"tokens\":"
            + "[\"a\",\"b\"],\"token_logprobs\":[-0.5,-1.25e-3]},\"finish_reason\":null}]}",
    };

    @ParameterizedTest
    @ValueSource(strings = {"{}", "[]", "{\"a\":[1,-0,0.5,1e3,-2E-2,true,false,null,{}]}", " { \"a\" : \"b\" } ",
        "\"s\"", "12"})
    void readsStrictJson_toTheEnd(String json) {
        JsonBytes p = reader(json);
        int t;
        while ((t = p.next()) != JsonBytes.END) {
            assertThat(t).isBetween(JsonBytes.START_OBJECT, JsonBytes.NULL);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "{\"a\":}", "{\"a\" 1}", "{\"a\":1,}", "[1,]", "[,1]", "{,}", "{'a':1}",
        "{a:1}", "[01]", "[1.]", "[.5]", "[+1]", "[1e]", "[-]", "[tru]", "[nul]", "[NaN]", "{\"a\":1}x", "{} {}",
        "[\"\\x\"]", "[\"\\u12g4\"]", "[\"a\tb\"]", "[\"open]", "{\"a\":1}]", "[1}", "{\"a\":1 \"b\":2}",
        "{\"a\":1}\n", "{\"a\":\n1}", "{\"\\u0061\":1}", "/*c*/{}"})
    void rejects_whatJacksonRejectsOrItLeavesToJackson(String json) {
        assertThatThrownBy(() -> readAll(reader(json))).isSameAs(JsonBytes.MALFORMED);
    }

    @Test
    void rejectsBrokenUtf8_andCountsTextAsJavaDoes() {
        byte[] lone = {'[', '"', (byte) 0xC3, '"', ']'};
        byte[] stray = {'[', '"', (byte) 0x80, '"', ']'};
        for (byte[] bad : new byte[][] {lone, stray}) {
            JsonBytes p = new JsonBytes();
            p.reset(bad, bad.length);
            assertThatThrownBy(() -> readAll(p)).isSameAs(JsonBytes.MALFORMED);
        }
        String text = "a\u00e9\u20ac\ud83d\ude00\\n\\u00e9";
        JsonBytes p = reader("[\"" + text + "\"]");
        p.next();
        assertThat(p.next()).isEqualTo(JsonBytes.STRING);
        assertThat(p.textLength()).isEqualTo("a\u00e9\u20ac\ud83d\ude00\n\u00e9".length());
        assertThat(p.escaped()).isTrue();
    }

    @Test
    void nestingBeyondJacksonsLimit_isRejected() {
        String deep = "[".repeat(257) + "]".repeat(257);
        assertThatThrownBy(() -> readAll(reader(deep))).isSameAs(JsonBytes.MALFORMED);
        readAll(reader("[".repeat(256) + "]".repeat(256)));
    }

    @Test
    void intValues_outsideAnInt_areNotReadAsOne() {
        JsonBytes p = reader("[2147483647,-2147483648,2147483648,99999999999999999999]");
        p.next();
        p.next();
        assertThat(p.intValue()).isEqualTo(Integer.MAX_VALUE);
        p.next();
        assertThat(p.intValue()).isEqualTo(Integer.MIN_VALUE);
        p.next();
        assertThat(p.fitsInt()).isFalse();
        p.next();
        assertThat(p.fitsInt()).isFalse();
    }

    /**
     * Thousands of damaged chunks (bytes changed, dropped, doubled): whatever the reader takes, Jackson takes with
     * the same tokens and text lengths, and whatever the fast path forwards the full path would have made the same.
     */
    @Test
    void damagedChunks_neverPassWhereJacksonWouldNot() throws Exception {
        Random random = new Random(7);
        int taken = 0;
        for (int round = 0; round < 8_000; round++) {
            byte[] json = CHUNKS[round % CHUNKS.length].getBytes(StandardCharsets.UTF_8);
            int changes = 1 + random.nextInt(3);
            for (int c = 0; c < changes; c++) {
                json = damage(json, random, DAMAGE);
            }
            if (sameAsJackson(json)) {
                taken++;
            }
            for (boolean wantsUsage : new boolean[] {false, true}) {
                fastPathAgreesWithFullPath(json, wantsUsage, round % 2 == 0 ? "m" : null);
            }
        }
        assertThat(taken).as("damaged chunks that are still JSON").isGreaterThan(400);
        for (String chunk : CHUNKS) {
            assertThat(sameAsJackson(chunk.getBytes(StandardCharsets.UTF_8))).as(chunk).isTrue();
        }
    }

    /** The bytes {@link #damage} puts in: JSON's punctuation, digits, letters of its literals, and non-ASCII. */
    static final byte[] DAMAGE = "{}[]:,\"\\ 0123456789.-+eEtrufalsn\u00e9x".getBytes(StandardCharsets.UTF_8);

    static byte[] damage(byte[] json, Random random, byte[] alphabet) {
        int at = random.nextInt(json.length);
        byte b = alphabet[random.nextInt(alphabet.length)];
        return switch (random.nextInt(3)) {
            case 0 -> {
                byte[] out = json.clone();
                out[at] = b;
                yield out;
            }
            case 1 -> {
                byte[] out = new byte[json.length - 1];
                System.arraycopy(json, 0, out, 0, at);
                System.arraycopy(json, at + 1, out, at, json.length - at - 1);
                yield out.length == 0 ? json : out;
            }
            default -> {
                byte[] out = new byte[json.length + 1];
                System.arraycopy(json, 0, out, 0, at);
                out[at] = b;
                System.arraycopy(json, at, out, at + 1, json.length - at);
                yield out;
            }
        };
    }

    /** Whether the reader took {@code json}; when it did, Jackson's tokens and text lengths are the same. */
    private static boolean sameAsJackson(byte[] json) throws Exception {
        List<int[]> ours = new ArrayList<>();
        JsonBytes p = new JsonBytes();
        p.reset(json, json.length);
        try {
            int t;
            while ((t = p.next()) != JsonBytes.END) {
                ours.add(new int[] {t, t == JsonBytes.STRING ? p.textLength() : -1});
            }
        } catch (JsonBytes.Malformed e) {
            return false;
        }
        List<int[]> theirs = new ArrayList<>();
        try (JsonParser jp = Json.MAPPER.getFactory().createParser(json)) {
            JsonToken t;
            while ((t = jp.nextToken()) != null) {
                int kind = switch (t) {
                    case START_OBJECT -> JsonBytes.START_OBJECT;
                    case END_OBJECT -> JsonBytes.END_OBJECT;
                    case START_ARRAY -> JsonBytes.START_ARRAY;
                    case END_ARRAY -> JsonBytes.END_ARRAY;
                    case FIELD_NAME -> JsonBytes.FIELD_NAME;
                    case VALUE_STRING -> JsonBytes.STRING;
                    case VALUE_NUMBER_INT -> JsonBytes.INT;
                    case VALUE_NUMBER_FLOAT -> JsonBytes.FLOAT;
                    case VALUE_TRUE -> JsonBytes.TRUE;
                    case VALUE_FALSE -> JsonBytes.FALSE;
                    default -> JsonBytes.NULL;
                };
                theirs.add(new int[] {kind, t == JsonToken.VALUE_STRING ? jp.getTextLength() : -1});
            }
        }
        assertThat(ours).as(new String(json, StandardCharsets.UTF_8)).usingRecursiveFieldByFieldElementComparator()
                .isEqualTo(theirs);
        return true;
    }

    /** A chunk the fast path forwards comes out as the full path would make it, with the same records. */
    private static void fastPathAgreesWithFullPath(byte[] json, boolean wantsUsage, String model) throws Exception {
        StreamNormalizer fast = new StreamNormalizer(wantsUsage, "flex", model);
        ByteBuf out = Unpooled.buffer();
        try {
            if (!fast.passThrough(json, out)) {
                assertThat(out.readableBytes()).isZero();
                return;
            }
            String what = new String(json, StandardCharsets.UTF_8);
            JsonNode tree = Json.MAPPER.readTree(json); // the fast path took it: Jackson must read it too
            assertThat(tree).as(what).isInstanceOf(ObjectNode.class);
            StreamNormalizer full = new StreamNormalizer(wantsUsage, "flex", model);
            ObjectNode chunk = (ObjectNode) tree;
            boolean sent = full.normalize(chunk) == StreamNormalizer.Verdict.SEND;
            assertThat(out.isReadable()).as(what).isEqualTo(sent);
            if (sent) {
                String event = out.toString(StandardCharsets.UTF_8);
                assertThat(Json.MAPPER.readTree(event.substring(6, event.length() - 2))).as(what).isEqualTo(chunk);
            }
            assertThat(fast.usage()).as(what).isEqualTo(full.usage());
            assertThat(fast.outputChunks()).as(what).isEqualTo(full.outputChunks());
            assertThat(fast.outputChars()).as(what).isEqualTo(full.outputChars());
            assertThat(fast.allChoicesFinished()).as(what).isEqualTo(full.allChoicesFinished());
            assertThat(fast.finishReason()).as(what).isEqualTo(full.finishReason());
        } finally {
            out.release();
        }
    }

    private static JsonBytes reader(String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        JsonBytes p = new JsonBytes();
        p.reset(bytes, bytes.length);
        return p;
    }

    private static void readAll(JsonBytes p) {
        while (p.next() != JsonBytes.END) {
            // reads on
        }
    }
}
