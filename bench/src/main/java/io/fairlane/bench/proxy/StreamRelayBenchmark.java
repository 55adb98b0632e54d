package io.fairlane.bench.proxy;

import io.fairlane.gateway.lane.upstream.SseDecoder;
import io.fairlane.gateway.lane.upstream.StreamNormalizer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The relay's work on one streamed answer, without the sockets: the upstream's bytes (one read holding the whole
 * stream, as the proxy benchmark's stub sends it: a role chunk, content chunks, a finish chunk, a usage chunk the
 * client did not ask for, {@code [DONE]}) split into events by {@link SseDecoder} and each event repaired and
 * appended to the outgoing buffer by {@link StreamNormalizer}'s fast path, with the scheduled tier spliced into
 * every chunk (the upstream sends none). A new decoder and normalizer per stream, as the relay makes them.
 *
 * <p>Run with {@code -prof gc}: the allocation per operation (one stream) is the solid figure, independent of the
 * machine's load; the difference between {@code events=100} and {@code events=12} over 88 is the cost of one more
 * event, and what is left at 12 events the per-stream part.
 *
 * <pre>bash bench/proxy/jmh.sh -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class StreamRelayBenchmark {

    /** Events with a choice in the stream (role, content..., finish); a usage chunk and [DONE] follow. */
    @Param({"12", "100"})
    public int events;

    /** Whether the client's model name differs from the upstream's, so that every chunk's model is replaced. */
    @Param({"false", "true"})
    public boolean renamed;

    private static final String[] WORDS = {"The", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog",
        "again"};

    private ByteBuf stream;
    private ByteBuf out;

    @Setup(Level.Trial)
    public void setUp() {
        StringBuilder s = new StringBuilder();
        s.append(chunk("{\"role\":\"assistant\",\"content\":\"\"}", "null"));
        for (int i = 0; i < events - 2; i++) {
            s.append(chunk("{\"content\":\" " + WORDS[i % WORDS.length] + "\"}", "null"));
        }
        s.append(chunk("{}", "\"stop\""));
        s.append("data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1727346172,")
                .append("\"model\":\"bench\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":")
                .append(events - 2).append(",\"total_tokens\":").append(events + 10).append("}}\n\n");
        s.append("data: [DONE]\n\n");
        // A pooled direct buffer, as the upstream's socket reads arrive.
        byte[] bytes = s.toString().getBytes(StandardCharsets.UTF_8);
        stream = PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length).writeBytes(bytes);
        out = PooledByteBufAllocator.DEFAULT.buffer(stream.readableBytes() * 2);
    }

    private static String chunk(String delta, String finish) {
        return "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1727346172,"
                + "\"model\":\"bench\",\"choices\":[{\"index\":0,\"delta\":" + delta
                + ",\"logprobs\":null,\"finish_reason\":" + finish + "}]}\n\n";
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        out.release();
        stream.release();
    }

    @Benchmark
    public void relay(Blackhole bh) {
        out.clear();
        StreamNormalizer normalizer = new StreamNormalizer(false, "default", renamed ? "client-model" : null);
        try (SseDecoder sse = new SseDecoder(PooledByteBufAllocator.DEFAULT, 8 * 1024 * 1024)) {
            stream.readerIndex(0);
            sse.feed(stream, (name, data, length) -> {
                if (length == 6 && data[0] == '[') {
                    return; // [DONE]
                }
                if (!normalizer.passThrough(data, length, out)) {
                    throw new IllegalStateException("left the fast path: " + new String(data, 0, length,
                            StandardCharsets.UTF_8));
                }
            });
        }
        bh.consume(normalizer.usage());
        bh.consume(out.writerIndex());
    }
}
