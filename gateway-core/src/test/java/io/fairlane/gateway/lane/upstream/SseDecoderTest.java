package io.fairlane.gateway.lane.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseDecoderTest {

    private static List<SseDecoder.Event> decode(int chunk, String text) {
        List<SseDecoder.Event> out = new ArrayList<>();
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        try (SseDecoder d = new SseDecoder(UnpooledByteBufAllocator.DEFAULT, 1 << 20)) {
            for (int i = 0; i < bytes.length; i += chunk) {
                ByteBuf b = Unpooled.wrappedBuffer(bytes, i, Math.min(chunk, bytes.length - i));
                out.addAll(d.feed(b));
                b.release();
            }
            out.addAll(d.finish());
        }
        return out;
    }

    @Test
    void eventsSplitAnywhere_comeOutWhole() {
        String s = "data: {\"a\":\"é\"}\n\ndata: [DONE]\n\n";
        for (int chunk = 1; chunk < 8; chunk++) {
            assertThat(decode(chunk, s)).extracting(SseDecoder.Event::data).containsExactly("{\"a\":\"é\"}", "[DONE]");
        }
    }

    @Test
    void crlfLinesAndComments_areHandled() {
        assertThat(decode(3, ": ping\r\n\r\nevent: error\r\ndata: x\r\n\r\n"))
                .containsExactly(new SseDecoder.Event("error", "x"));
    }

    @Test
    void multipleDataLines_joinWithNewlines() {
        assertThat(decode(100, "data: a\ndata: b\n\n")).extracting(SseDecoder.Event::data).containsExactly("a\nb");
    }

    @Test
    void lastEventWithoutBlankLine_isFlushedAtTheEnd() {
        assertThat(decode(4, "data: tail")).extracting(SseDecoder.Event::data).containsExactly("tail");
    }
}
