package io.fairlane.bench.eventloop;

// What a request costs its event loop when prepared inline, by prompt size, against the cost of handing the
// work to another thread and back: the measurement behind the preparation pool's inline limits. The last part of
// bench/eventloop/run.sh runs it; by hand (MODEL_DIR the synthetic fairlane-tiny the gateway writes on first start):
//
//   bench/run.sh io.fairlane.bench.eventloop.InlineCost ~/.cache/fairlane/models/tiny-f32-s42
//
// For chat bodies of 256 B to 64 KiB: the body's JSON parse and validation, and the engine's prepare (chat
// template and tokenising) on the synthetic model in MODEL_DIR; then the round trip of an empty task from a
// Netty event loop to a one-thread pool and back. Medians of many runs, in microseconds.

import io.fairlane.engine.EngineConfig;
import io.fairlane.engine.Engines;
import io.fairlane.engine.InferenceEngine;
import io.fairlane.engine.Prompt;
import io.fairlane.gateway.openai.Bodies;
import io.fairlane.gateway.openai.ChatCompletionRequest;
import io.fairlane.scheduler.Policy;
import io.fairlane.scheduler.SchedulerStats;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoop;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

public final class InlineCost {

    public static void main(String[] args) throws Exception {
        EngineConfig config = new EngineConfig("tiny", new EngineConfig.ModelSource.Directory(Path.of(args[0])), "cpu",
                List.of(), 16, 64L << 20, 0.9, 2048, 32, 1, new Policy.Fcfs(), List.of());
        try (InferenceEngine engine = Engines.open(config, SchedulerStats.disabled())) {
            for (int size : new int[] {256, 1024, 2048, 4096, 8192, 16384, 65536}) {
                String text = text(size);
                byte[] body = ("{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text
                        + "\"}],\"max_tokens\":4}").getBytes(StandardCharsets.UTF_8);
                int runs = Math.max(50, 4_000_000 / size);
                long[] parse = new long[runs];
                long[] prepare = new long[runs];
                for (int i = 0; i < runs; i++) {
                    ByteBuf buf = Unpooled.wrappedBuffer(body);
                    long t0 = System.nanoTime();
                    ChatCompletionRequest r = ChatCompletionRequest.parse(Bodies.parse(buf));
                    long t1 = System.nanoTime();
                    engine.prepare(new Prompt.Chat(List.of(Map.of("role", "user", "content", r.messages().getFirst()
                            .text())), List.of(), true, Map.of()));
                    long t2 = System.nanoTime();
                    parse[i] = t1 - t0;
                    prepare[i] = t2 - t1;
                }
                System.out.printf(Locale.ROOT, "body %6d B: parse %8.1f us, prepare %8.1f us%n", body.length,
                        median(parse) / 1e3, median(prepare) / 1e3);
            }
        }
        DefaultEventLoop loop = new DefaultEventLoop();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        long[] hop = new long[20_000];
        for (int i = 0; i < hop.length; i++) {
            CompletableFuture<Long> done = new CompletableFuture<>();
            loop.execute(() -> {
                long t0 = System.nanoTime();
                pool.execute(() -> loop.execute(() -> done.complete(System.nanoTime() - t0)));
            });
            hop[i] = done.get();
        }
        System.out.printf(Locale.ROOT, "hop loop -> pool -> loop: %.1f us%n", median(hop) / 1e3);
        pool.shutdown();
        loop.shutdownGracefully();
    }

    private static String text(int size) {
        String[] words = "the quick brown fox jumps over lazy dogs while seven wizards quietly judge boxing".split(" ");
        Random random = new Random(7);
        StringBuilder sb = new StringBuilder(size);
        while (sb.length() < size) {
            sb.append(words[random.nextInt(words.length)]).append(' ');
        }
        return sb.substring(0, size);
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
