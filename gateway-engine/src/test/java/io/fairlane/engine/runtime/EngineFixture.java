package io.fairlane.engine.runtime;

import io.fairlane.engine.EngineSnapshot;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.kv.KvCacheManager;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.Ticker;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.IntStream;

/** Builds a {@link LocalEngine} over the {@link ToyModel} with a FIFO waiting queue, and requests for it. */
final class EngineFixture implements AutoCloseable {

    private static final AtomicInteger IDS = new AtomicInteger();

    final ToyModel toy;
    final FifoTenantScheduler<Work> queue = new FifoTenantScheduler<>();
    /** The engine's view of {@link #queue}: hold it while submitting requests that must start together. */
    final HeldQueue<Work> held = new HeldQueue<>(queue);
    final LocalEngine engine;
    final int totalBlocks;

    EngineFixture(int blocks, int blockSize, int maxBatchTokens, int maxRunning, int contextLength,
                  List<Integer> eos) {
        this.toy = new ToyModel(blocks, blockSize);
        this.totalBlocks = blocks;
        this.engine = new LocalEngine(ToyModel.info(contextLength, eos), toy, ToyModel.letters(), ToyModel.preparer(),
                new KvCacheManager(blocks, blockSize), matcher -> held, Ticker.system(),
                new LocalEngine.Limits(maxBatchTokens, maxRunning, List.of()));
    }

    /** A roomy engine: 256 blocks of 16, 512-token steps, 16 sequences, context 1024. */
    static EngineFixture roomy() {
        return new EngineFixture(256, 16, 512, 16, 1024, List.of());
    }

    static int[] prompt(int length, int seed) {
        return IntStream.range(0, length).map(i -> 1 + Math.floorMod(seed * 7919 + i * 31 + i * i, ToyModel.VOCAB - 1))
                .toArray();
    }

    static GenerationRequest request(String tenant, int[] prompt, SamplingParams sampling, int n) {
        return new GenerationRequest("req-" + IDS.incrementAndGet(), tenant, ServiceTier.DEFAULT, tenant,
                new PreparedPrompt(prompt, ""), sampling, n);
    }

    static GenerationRequest request(int[] prompt, int maxTokens) {
        return request("tenant-a", prompt, SamplingParams.greedy(maxTokens), 1);
    }

    /**
     * Submits every request with the waiting queue held, then releases it: the engine's first step sees all of
     * them, so batch composition and preemption depend on the requests only, never on the machine's load.
     */
    List<RecordingSink> submitTogether(List<GenerationRequest> requests) {
        held.hold();
        List<RecordingSink> sinks = new java.util.ArrayList<>();
        try {
            for (GenerationRequest r : requests) {
                RecordingSink sink = new RecordingSink();
                engine.submit(r, sink);
                sinks.add(sink);
            }
        } finally {
            held.release();
        }
        return sinks;
    }

    RecordingSink run(GenerationRequest request) {
        RecordingSink sink = new RecordingSink();
        engine.submit(request, sink);
        return sink.await();
    }

    /** Waits until the published snapshot satisfies {@code condition}; returns it. */
    EngineSnapshot awaitSnapshot(Predicate<EngineSnapshot> condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        EngineSnapshot s = engine.snapshot();
        while (!condition.test(s) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            s = engine.snapshot();
        }
        return s;
    }

    /** Blocks in use once the engine has settled; 0 when every block is back in the pool. */
    int blocksInUseWhenSettled() {
        return awaitSnapshot(s -> s.kvBlocksUsed() == 0 && s.running() == 0 && s.waiting() == 0).kvBlocksUsed();
    }

    @Override
    public void close() {
        engine.close();
    }
}
