package io.fairlane.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.ModelInfo;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.exec.BackendOptions;
import io.fairlane.engine.exec.CpuBackend;
import io.fairlane.engine.exec.KvLayout;
import io.fairlane.engine.kv.KvCacheManager;
import io.fairlane.engine.model.DType;
import io.fairlane.engine.model.Model;
import io.fairlane.engine.model.ModelConfig;
import io.fairlane.engine.model.TestModels;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.Ticker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The engine on the real CPU backend and a synthetic {@code tiny} model: the paged layout — prefix-cache hits,
 * preemption, chunk boundaries, batch composition, copy on write — must not change a single token.
 */
class LocalEngineCpuTest {

    @TempDir
    static Path root;
    private static Path modelDir;
    private final List<LocalEngine> engines = new ArrayList<>();
    /** Each engine's waiting queue, held by {@link #runAll} while it submits. */
    private final java.util.Map<LocalEngine, HeldQueue<Work>> queues = new java.util.IdentityHashMap<>();

    @BeforeAll
    static void writeModel() {
        modelDir = TestModels.synthetic(root, "tiny", DType.F32, 7);
    }

    @AfterEach
    void close() {
        engines.forEach(LocalEngine::close);
    }

    /** An engine with {@code kvBlocks} blocks of {@code blockSize} tokens. */
    private LocalEngine engine(int kvBlocks, int blockSize, int maxBatchTokens, int maxRunning) {
        Model model = Model.open(modelDir);
        ModelConfig c = model.config();
        long bytes = KvLayout.of(c, blockSize, 4).bytesPerBlock() * kvBlocks;
        CpuBackend backend = CpuBackend.open(model, BackendOptions.cpu(bytes).withBlockSize(blockSize).withThreads(2));
        ModelInfo info = new ModelInfo("tiny", "llama", c.contextLength(), c.vocabSize(), c.hiddenSize(), false, "cpu",
                "fp-test", c.eosTokenIds());
        HeldQueue<Work> queue = new HeldQueue<>(new FifoTenantScheduler<>());
        LocalEngine engine = new LocalEngine(info, StepExecutor.of(backend), ids(), tokenIdsOnly(),
                new KvCacheManager(backend.kvBlocks(), blockSize), matcher -> queue, Ticker.system(),
                new LocalEngine.Limits(maxBatchTokens, maxRunning, List.of()));
        engines.add(engine);
        queues.put(engine, queue);
        return engine;
    }

    private LocalEngine roomy() {
        return engine(256, 16, 512, 16);
    }

    /** Token ids rendered as {@code <id>}: enough for the engine, which only needs text to stream. */
    private static TextCodec ids() {
        return new TextCodec() {
            @Override
            public IncrementalDecoder newDecoder() {
                return new IncrementalDecoder() {
                    @Override
                    public String next(int tokenId) {
                        return "<" + tokenId + ">";
                    }

                    @Override
                    public String flush() {
                        return "";
                    }
                };
            }

            @Override
            public String decode(int[] tokenIds) {
                return "";
            }

            @Override
            public String tokenText(int tokenId) {
                return "<" + tokenId + ">";
            }

            @Override
            public byte[] tokenBytes(int tokenId) {
                return tokenText(tokenId).getBytes(StandardCharsets.UTF_8);
            }
        };
    }

    private static PromptPreparer tokenIdsOnly() {
        return prompt -> new PreparedPrompt(((Prompt.TokenIds) prompt).ids(), "");
    }

    /** Plain ids (3..255, clear of the fixture tokenizer's specials). */
    private static int[] prompt(int length, int seed) {
        return IntStream.range(0, length).map(i -> 3 + Math.floorMod(seed * 7919 + i * 31 + i * i, 253)).toArray();
    }

    private static SamplingParams greedy(int maxTokens) {
        return new SamplingParams(0, 1, 0, 0, OptionalLong.empty(), 0, 0, Map.of(), false, 0, maxTokens, List.of(),
                true);
    }

    private static SamplingParams seeded(int maxTokens) {
        return new SamplingParams(0.8, 1, 0, 0, OptionalLong.of(42), 0, 0, Map.of(), false, 0, maxTokens, List.of(),
                true);
    }

    private static int ids = 0;

    private static GenerationRequest request(String tenant, int[] prompt, SamplingParams params, int n) {
        return new GenerationRequest("cpu-" + (++ids), tenant, ServiceTier.DEFAULT, tenant,
                new PreparedPrompt(prompt, ""), params, n);
    }

    private static RecordingSink run(LocalEngine engine, GenerationRequest r) {
        RecordingSink sink = new RecordingSink();
        engine.submit(r, sink);
        return sink.await();
    }

    /**
     * Submits every prompt with the engine's waiting queue held, so its first step sees them all: the batch
     * compositions and preemptions that follow are the same on an idle machine and a loaded one.
     */
    private List<List<Integer>> runAll(LocalEngine engine, List<int[]> prompts, SamplingParams params) {
        HeldQueue<Work> queue = queues.get(engine);
        queue.hold();
        List<RecordingSink> sinks = new ArrayList<>();
        try {
            for (int[] p : prompts) {
                RecordingSink sink = new RecordingSink();
                engine.submit(request("shared", p, params, 1), sink);
                sinks.add(sink);
            }
        } finally {
            queue.release();
        }
        return sinks.stream().map(s -> s.await().tokens(0)).toList();
    }

    @Test
    void greedy_withPrefixHit_sameTokensAsCold() {
        LocalEngine engine = roomy();
        int[] p = prompt(100, 1);
        List<Integer> cold = run(engine, request("a", p, greedy(24), 1)).tokens(0);
        RecordingSink warm = run(engine, request("a", p, greedy(24), 1));
        assertThat(((TokenEvent.Finished) warm.last()).usage().cachedTokens()).as("precondition: a hit").isEqualTo(96);
        assertThat(warm.tokens(0)).isEqualTo(cold);
    }

    @Test
    void greedy_underPreemption_matchesSoloRuns() {
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            prompts.add(prompt(40, 10 + i));
        }
        LocalEngine solo = roomy();
        List<List<Integer>> expected = prompts.stream().map(p -> run(solo, request("a", p, greedy(30), 1)).tokens(0))
                .toList();
        LocalEngine tight = engine(12, 16, 64, 6);
        List<List<Integer>> actual = runAll(tight, prompts, greedy(30));
        assertThat(tight.snapshot().preemptions()).as("the pool must force preemptions").isPositive();
        assertThat(actual).isEqualTo(expected);
    }

    @ParameterizedTest(name = "step budget {0}, {1} sequences, block size {2}")
    @CsvSource({"7, 2, 16", "64, 8, 16", "33, 4, 8", "512, 16, 32"})
    void greedy_acrossBatchCompositions_matchesSoloRuns(int maxBatchTokens, int maxRunning, int blockSize) {
        List<int[]> prompts = List.of(prompt(3, 20), prompt(17, 21), prompt(50, 22), prompt(33, 21), prompt(1, 24));
        LocalEngine solo = roomy();
        List<List<Integer>> expected = prompts.stream().map(p -> run(solo, request("a", p, greedy(10), 1)).tokens(0))
                .toList();
        assertThat(runAll(engine(256, blockSize, maxBatchTokens, maxRunning), prompts, greedy(10)))
                .isEqualTo(expected);
    }

    @Test
    void nChoices_seeded_underPreemption_sameAsRoomy() {
        int[] p = prompt(21, 30);
        RecordingSink roomy = run(roomy(), request("a", p, seeded(30), 3));
        LocalEngine tight = engine(8, 16, 64, 8);
        RecordingSink squeezed = run(tight, request("a", p, seeded(30), 3));
        assertThat(tight.snapshot().preemptions()).as("the pool must force preemptions").isPositive();
        assertThat(List.of(squeezed.tokens(0), squeezed.tokens(1), squeezed.tokens(2)))
                .isEqualTo(List.of(roomy.tokens(0), roomy.tokens(1), roomy.tokens(2)));
    }

    @Test
    void embed_realBackend_unitVectorOfHiddenSize() throws Exception {
        LocalEngine engine = roomy();
        var result = engine.embed(new io.fairlane.engine.EmbeddingRequest("e", "a", ServiceTier.DEFAULT,
                List.of(new PreparedPrompt(prompt(12, 3), "")), 0)).get();
        float[] v = result.vectors().getFirst();
        double norm = 0;
        for (float x : v) {
            norm += x * x;
        }
        assertThat(List.of(v.length, Math.round(norm * 1e4) / 1e4)).containsExactly(64, 1.0);
    }
}
