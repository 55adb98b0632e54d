package io.fairlane.gateway.lane.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The relay's work on one unstreamed answer, without the sockets: the upstream's body (the proxy benchmark's chat
 * completion, one pooled direct read) gathered as {@link BufferedAnswer} gathers it, scanned, and made into the
 * client's bytes with the scheduled tier spliced in (the upstream sends none). Lives in the relay's package to
 * reach its package-private classes.
 *
 * <p>Run with {@code -prof gc}: the allocation per operation (one answer) is the solid figure.
 *
 * <pre>JMH_INCLUDE=AnswerRepair bash bench/proxy/jmh.sh -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class AnswerRepairBenchmark {

    private static final String ANSWER = "{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\","
            + "\"created\":1727346172,\"model\":\"bench\",\"system_fingerprint\":\"fp_bench\",\"choices\":[{\"index\":0,"
            + "\"message\":{\"role\":\"assistant\",\"content\":\"The quick brown fox jumps over the lazy dog.\","
            + "\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,"
            + "\"completion_tokens\":10,\"total_tokens\":22,\"prompt_tokens_details\":{\"cached_tokens\":0},"
            + "\"completion_tokens_details\":{\"reasoning_tokens\":0}}}";

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private final OutputBudget budget = new OutputBudget(1 << 20, 1 << 20, 1 << 20, 0);
    private ByteBuf read;

    @Setup(Level.Trial)
    public void setUp() {
        byte[] bytes = ANSWER.getBytes(StandardCharsets.UTF_8);
        read = alloc.directBuffer(bytes.length).writeBytes(bytes);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        read.release();
    }

    @Benchmark
    public void repair(Blackhole bh) {
        try (BufferedAnswer answer = new BufferedAnswer(alloc, budget)) {
            answer.add(read.duplicate());
            ResponseRepair.Repaired r = answer.repair("default", true, null);
            bh.consume(r.usage());
            bh.consume(r.body().readableBytes());
            r.body().release();
        }
    }
}
