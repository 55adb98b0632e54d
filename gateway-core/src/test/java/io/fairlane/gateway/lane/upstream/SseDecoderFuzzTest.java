package io.fairlane.gateway.lane.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The SSE decoder on any bytes cut at any points: it never throws (the inputs stay under its event limit) and
 * yields the same events as for the bytes in one piece, with every buffer released.
 */
class SseDecoderFuzzTest {

    private static List<SseDecoder.Event> decode(byte[] bytes, int[] cuts) {
        UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
        List<SseDecoder.Event> out = new ArrayList<>();
        try (SseDecoder d = new SseDecoder(alloc, 1 << 20)) {
            int from = 0;
            for (int cut : cuts) {
                out.addAll(feed(d, bytes, from, cut));
                from = cut;
            }
            out.addAll(feed(d, bytes, from, bytes.length));
            out.addAll(d.finish());
        }
        assertThat(alloc.metric().usedHeapMemory()).as("buffers released").isZero();
        return out;
    }

    private static List<SseDecoder.Event> feed(SseDecoder d, byte[] bytes, int from, int to) {
        ByteBuf b = Unpooled.wrappedBuffer(bytes, from, to - from);
        try {
            return d.feed(b);
        } finally {
            b.release();
        }
    }

    @FuzzTest
    void feed_bytesCutAnywhere_sameEventsAsInOnePiece(FuzzedDataProvider data) {
        int[] cuts = new int[data.consumeInt(0, 16)];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = data.consumeInt(0, 4096);
        }
        byte[] bytes = data.consumeRemainingAsBytes();
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = Math.min(cuts[i], bytes.length);
        }
        Arrays.sort(cuts);
        assertThat(decode(bytes, cuts)).isEqualTo(decode(bytes, new int[0]));
    }
}
