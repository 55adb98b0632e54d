package io.fairlane.gateway.lane.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The remembered shape of a token chunk against a full read: a scanner that has seen one plain token chunk must
 * read every chunk after it, damaged, or with another output string, exactly as a fresh scanner does: the same
 * verdict, records and bytes out.
 */
class ChunkScanShapeTest {

    /** Plain token chunks: the shapes a stream repeats. */
    private static final String[] TOKEN_CHUNKS = {
        "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1727346172,\"model\":\"m\",\"choices\":"
            + "[{\"index\":0,\"delta\":{\"content\":\" fox\"},\"logprobs\":null,\"finish_reason\":null}]}",
        "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"up\",\"service_tier\":\"flex\",\"choices\":"
            + "[{\"index\":2,\"delta\":{\"reasoning_content\":\"caf\u00e9\"},\"finish_reason\":null}],\"usage\":null}",
        "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
            + "\"a\\\"b\"},\"finish_reason\":null}],\"usage\":null,\"model\":\"other\"}",
        "{\"object\":\"text_completion\",\"model\":\"m\",\"choices\":[{\"index\":0,\"text\":\" x\",\"logprobs\":null,"
            + "\"finish_reason\":null}]}",
    };

    private static final String[] BODIES = {"y", " lazy", "\\\"", "\\\\", "\\u00e9", "\u00e9", "\ud83d\ude00", "\\n",
        "\"", "\\", "a\"b", "\\u12", "\\x", "\t", "\u0001", "", " a\\", "}]}", "\",\"x\":\"", "\\/"};

    @Test
    void chunksAfterAPlainOne_readAsAFreshScannerReadsThem() {
        Random random = new Random(11);
        int matched = 0;
        for (int round = 0; round < 6_000; round++) {
            String base = TOKEN_CHUNKS[round % TOKEN_CHUNKS.length];
            byte[] next;
            if (round % 3 == 0) {
                next = JsonBytesTest.damage(base.getBytes(StandardCharsets.UTF_8), random, JsonBytesTest.DAMAGE);
            } else {
                next = withBody(base, BODIES[random.nextInt(BODIES.length)] + BODIES[random.nextInt(BODIES.length)]);
            }
            boolean wantsUsage = random.nextBoolean();
            String model = round % 5 == 0 ? null : round % 5 == 1 ? "m" : "client";
            ChunkScan primed = new ChunkScan(wantsUsage, "flex", model);
            primed.scan(base.getBytes(StandardCharsets.UTF_8), base.length());
            ChunkScan fresh = new ChunkScan(wantsUsage, "flex", model);
            int before = primed.shapeMatches;
            String a = read(primed, next, model);
            String b = read(fresh, next, model);
            assertThat(a).as(new String(next, StandardCharsets.UTF_8)).isEqualTo(b);
            matched += primed.shapeMatches - before;
        }
        assertThat(matched).as("chunks read by the remembered shape").isGreaterThan(800);
    }

    @Test
    void aStreamOfTokens_isReadByItsShapeAfterTheFirst() {
        ChunkScan scan = new ChunkScan(false, "default", null);
        for (String body : new String[] {" The", " quick", " brown", "", " fox"}) {
            byte[] chunk = withBody(TOKEN_CHUNKS[0], body);
            scan.scan(chunk, chunk.length);
        }
        assertThat(scan.shapeMatches).as("all but the first and the empty one").isEqualTo(3);
    }

    private static byte[] withBody(String chunk, String body) {
        int key = Math.max(chunk.indexOf("\"content\":\""), Math.max(chunk.indexOf("\"text\":\""),
                chunk.indexOf("\"reasoning_content\":\"")));
        int start = chunk.indexOf(":\"", key) + 2;
        int end = start;
        while (chunk.charAt(end) != '"' || chunk.charAt(end - 1) == '\\') {
            end++;
        }
        return (chunk.substring(0, start) + body + chunk.substring(end)).getBytes(StandardCharsets.UTF_8);
    }

    /** Everything a read decides, as text: verdict, records, and the bytes written. */
    private static String read(ChunkScan scan, byte[] json, String model) {
        int flags = scan.scan(json, json.length);
        if (flags == ChunkScan.DECLINE) {
            return "decline";
        }
        ByteBuf out = Unpooled.buffer();
        try {
            scan.write(json, json.length, out, "\"service_tier\":\"flex\",".getBytes(StandardCharsets.UTF_8),
                    model == null ? null : ("\"" + model + "\"").getBytes(StandardCharsets.UTF_8));
            return flags + " seen=" + Arrays.toString(Arrays.copyOf(scan.seenIndexes, scan.seen)) + " finished="
                    + Arrays.toString(Arrays.copyOf(scan.finishedIndexes, scan.finished)) + " chars=" + scan.outputChars
                    + " finish=" + scan.finish + ((flags & ChunkScan.USAGE) != 0 ? " usage=" + Arrays.toString(scan.usage)
                    : "") + " out=" + out.toString(StandardCharsets.UTF_8);
        } finally {
            out.release();
        }
    }
}
