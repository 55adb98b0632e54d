package io.fairlane.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.engine.EmbeddingRequest;
import io.fairlane.engine.FinishReason;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.ModelInfo;
import io.fairlane.engine.OutputConstraint;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.exec.BackendOptions;
import io.fairlane.engine.exec.CpuBackend;
import io.fairlane.engine.exec.ExecutionBackend;
import io.fairlane.engine.exec.KvLayout;
import io.fairlane.engine.kv.KvCacheManager;
import io.fairlane.engine.model.DType;
import io.fairlane.engine.model.Model;
import io.fairlane.engine.model.ModelConfig;
import io.fairlane.engine.model.TestModels;
import io.fairlane.engine.sampling.ConstraintVocabulary;
import io.fairlane.engine.sampling.TokenConstraint;
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

/**
 * The whole engine (KV cache manager, batch scheduler, waiting queue, sampler states, stop handling) on the CUDA
 * backend: what the CPU backend serves must work the same on CUDA, and the paged layout — prefix-cache hits,
 * preemption by recompute, batch composition, copy on write for n > 1 — must not change a token. Runs on the
 * kernel emulator in every build ({@link LocalEngineEmulatedCudaTest}) and on a GPU under the {@code gpu} tag
 * ({@link LocalEngineGpuCudaTest}).
 */
abstract class LocalEngineCudaContract {

    @TempDir
    static Path root;
    private static Path modelDir;
    private final List<LocalEngine> engines = new ArrayList<>();
    /** Each engine's waiting queue, held by {@link #runAll} while it submits. */
    private final java.util.Map<LocalEngine, HeldQueue<Work>> queues = new java.util.IdentityHashMap<>();
    private static int ids;

    abstract ExecutionBackend openCuda(Model model, BackendOptions options);

    @BeforeAll
    static void writeModel() {
        modelDir = TestModels.synthetic(root, "tiny", DType.BF16, 7);
    }

    @AfterEach
    void close() {
        engines.forEach(LocalEngine::close);
        engines.clear();
    }

    /** An engine on the CUDA backend with a pool of {@code kvBlocks} blocks of 16 tokens. */
    LocalEngine engine(int kvBlocks, int maxBatchTokens, int maxRunning) {
        Model model = Model.open(modelDir);
        ModelConfig c = model.config();
        // The CUDA backend also keeps attention partials per block, so bytes for kvBlocks of the plain layout buy
        // it fewer blocks: give it twice that and let the engine's pool use exactly kvBlocks of them, so tests
        // that need pool pressure get the same pool whichever backend runs them.
        long bytes = KvLayout.of(c, 16, 2).bytesPerBlock() * kvBlocks * 2;
        ExecutionBackend backend = openCuda(model, new BackendOptions(16, bytes, 2, List.of(), 0.6, maxBatchTokens,
                maxRunning));
        if (backend.kvBlocks() < kvBlocks) {
            backend.close();
            throw new IllegalStateException("the backend made room for " + backend.kvBlocks() + " KV blocks, not "
                    + kvBlocks);
        }
        return engineOn(backend, ids(), kvBlocks, maxBatchTokens, maxRunning);
    }

    private LocalEngine engineOn(ExecutionBackend backend, TextCodec codec, int kvBlocks, int maxBatchTokens,
                                 int maxRunning) {
        ModelConfig c = backend.config();
        ModelInfo info = new ModelInfo("tiny", "llama", c.contextLength(), c.vocabSize(), c.hiddenSize(), false,
                backend.name(), "fp-test", c.eosTokenIds());
        HeldQueue<Work> queue = new HeldQueue<>(new FifoTenantScheduler<>());
        LocalEngine engine = new LocalEngine(info, StepExecutor.of(backend), codec, tokenIdsOnly(),
                new KvCacheManager(kvBlocks, 16), matcher -> queue, Ticker.system(),
                new LocalEngine.Limits(maxBatchTokens, maxRunning, List.of()));
        engines.add(engine);
        queues.put(engine, queue);
        return engine;
    }

    LocalEngine roomy() {
        return engine(256, 512, 16);
    }

    static TextCodec ids() {
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

    /**
     * Token text for constrained decoding: every id but the end of sequence is one printable ASCII character
     * (each character has two or three ids), so the JSON automaton finds braces, quotes and letters to choose.
     */
    static TextCodec asciiChars(List<Integer> eos) {
        return new TextCodec() {
            @Override
            public IncrementalDecoder newDecoder() {
                return new IncrementalDecoder() {
                    @Override
                    public String next(int tokenId) {
                        return tokenText(tokenId);
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
                return new String(tokenBytes(tokenId), StandardCharsets.US_ASCII);
            }

            @Override
            public byte[] tokenBytes(int tokenId) {
                return eos.contains(tokenId) ? new byte[0] : new byte[] {(byte) (32 + tokenId % 95)};
            }

            @Override
            public boolean isSpecial(int tokenId) {
                return eos.contains(tokenId);
            }
        };
    }

    static PromptPreparer tokenIdsOnly() {
        return prompt -> new PreparedPrompt(((Prompt.TokenIds) prompt).ids(), "");
    }

    static int[] prompt(int length, int seed) {
        return IntStream.range(0, length).map(i -> 3 + Math.floorMod(seed * 7919 + i * 31 + i * i, 253)).toArray();
    }

    static SamplingParams params(double temperature, OptionalLong seed, int maxTokens, boolean logprobs, int top,
                                 List<String> stop, boolean ignoreEos) {
        return new SamplingParams(temperature, 1, 0, 0, seed, 0, 0, Map.of(), logprobs, top, maxTokens, stop,
                ignoreEos);
    }

    static SamplingParams greedy(int maxTokens) {
        return params(0, OptionalLong.empty(), maxTokens, false, 0, List.of(), true);
    }

    static GenerationRequest request(String tenant, int[] prompt, SamplingParams params, int n) {
        return new GenerationRequest("cuda-" + (++ids), tenant, ServiceTier.DEFAULT, tenant,
                new PreparedPrompt(prompt, ""), params, n);
    }

    static RecordingSink run(LocalEngine engine, GenerationRequest r) {
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
        int[] p = prompt(70, 1);
        List<Integer> cold = run(engine, request("a", p, greedy(16), 1)).tokens(0);
        RecordingSink warm = run(engine, request("a", p, greedy(16), 1));
        assertThat(((TokenEvent.Finished) warm.last()).usage().cachedTokens()).as("precondition: a hit").isEqualTo(64);
        assertThat(warm.tokens(0)).isEqualTo(cold);
    }

    @Test
    void greedy_underPreemption_matchesSoloRuns() {
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            prompts.add(prompt(40, 10 + i));
        }
        // each sequence reaches 60 tokens (4 blocks); 9 blocks hold two and a bit
        LocalEngine solo = roomy();
        List<List<Integer>> expected = prompts.stream().map(p -> run(solo, request("a", p, greedy(20), 1)).tokens(0))
                .toList();
        LocalEngine tight = engine(9, 64, 4);
        List<List<Integer>> actual = runAll(tight, prompts, greedy(20));
        assertThat(tight.snapshot().preemptions()).as("the pool must force preemptions").isPositive();
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    void greedy_concurrentBatch_matchesSoloRuns() {
        List<int[]> prompts = List.of(prompt(3, 20), prompt(17, 21), prompt(50, 22), prompt(1, 24));
        LocalEngine solo = roomy();
        List<List<Integer>> expected = prompts.stream().map(p -> run(solo, request("a", p, greedy(10), 1)).tokens(0))
                .toList();
        assertThat(runAll(engine(256, 33, 4), prompts, greedy(10))).isEqualTo(expected);
    }

    @Test
    void nChoices_seeded_deterministicAndDistinct() {
        int[] p = prompt(21, 30);
        SamplingParams seeded = params(0.9, OptionalLong.of(42), 16, false, 0, List.of(), true);
        RecordingSink first = run(roomy(), request("a", p, seeded, 3));
        RecordingSink again = run(engine(8, 64, 8), request("a", p, seeded, 3));
        List<List<Integer>> a = List.of(first.tokens(0), first.tokens(1), first.tokens(2));
        assertThat(List.of(again.tokens(0), again.tokens(1), again.tokens(2))).isEqualTo(a);
        assertThat(a.stream().distinct().count()).as("choices draw from different streams").isGreaterThan(1);
    }

    @Test
    void logprobs_topAlternatives_arriveWithEveryToken() {
        RecordingSink sink = run(roomy(), request("a", prompt(9, 40), params(0, OptionalLong.empty(), 5, true, 3,
                List.of(), true), 1));
        List<TokenEvent.Token> tokens = sink.events().stream().filter(e -> e instanceof TokenEvent.Token)
                .map(e -> (TokenEvent.Token) e).toList();
        assertThat(tokens).hasSize(5).allSatisfy(t -> {
            assertThat(t.logprob()).isNotNull();
            assertThat(t.logprob().top()).hasSize(3);
            assertThat(t.logprob().logprob()).isLessThanOrEqualTo(0.0);
        });
    }

    @Test
    void stopString_midGeneration_endsWithStopBeforeIt() {
        LocalEngine engine = roomy();
        int[] p = prompt(12, 50);
        List<Integer> free = run(engine, request("a", p, greedy(12), 1)).tokens(0);
        String stop = "<" + free.get(5) + ">";
        int firstAt = free.indexOf(free.get(5));
        RecordingSink stopped = run(engine, request("a", p, params(0, OptionalLong.empty(), 12, false, 0,
                List.of(stop), true), 1));
        TokenEvent.ChoiceFinished end = stopped.events().stream().filter(e -> e instanceof TokenEvent.ChoiceFinished)
                .map(e -> (TokenEvent.ChoiceFinished) e).findFirst().orElseThrow();
        assertThat(end.reason()).isEqualTo(FinishReason.STOP);
        assertThat(stopped.text(0)).doesNotContain(stop).hasSize(free.subList(0, firstAt).stream()
                .mapToInt(t -> ("<" + t + ">").length()).sum());
    }

    @Test
    void abort_midGeneration_returnsEveryBlock() throws Exception {
        LocalEngine engine = roomy();
        RecordingSink sink = new RecordingSink();
        GenerationRequest r = request("a", prompt(30, 60), greedy(400), 1);
        engine.submit(r, sink);
        sink.awaitFirstToken();
        engine.abort(r.requestId());
        assertThat(sink.await().last()).isInstanceOf(TokenEvent.Failed.class);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (engine.snapshot().kvBlocksUsed() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(engine.snapshot().kvBlocksUsed()).isZero();
    }

    @Test
    void embed_throughTheEngine_unitVectorOfHiddenSize() throws Exception {
        var result = roomy().embed(new EmbeddingRequest("e", "a", ServiceTier.DEFAULT,
                List.of(new PreparedPrompt(prompt(12, 3), "")), 0)).get();
        float[] v = result.vectors().getFirst();
        double norm = 0;
        for (float x : v) {
            norm += x * x;
        }
        assertThat(List.of(v.length, Math.round(norm * 1e4) / 1e4)).containsExactly(64, 1.0);
    }

    private LocalEngine constrainedEngine(boolean cuda) {
        Model model = Model.open(modelDir);
        BackendOptions options = new BackendOptions(16, KvLayout.of(model.config(), 16, 2).bytesPerBlock() * 128, 2,
                List.of(), 0.6, 512, 16);
        ExecutionBackend backend = cuda ? openCuda(model, options) : CpuBackend.open(model, options);
        return engineOn(backend, asciiChars(model.config().eosTokenIds()), 64, 512, 16);
    }

    private static SamplingParams constrainedGreedy(OutputConstraint constraint, boolean logprobs) {
        return new SamplingParams(0, 1, 0, 0, OptionalLong.of(5), 0, 0, Map.of(), logprobs, logprobs ? 20 : 0, 48,
                List.of(), false, constraint);
    }

    @Test
    void constrained_forcedToolCallGreedy_sameTokensAsTheCpuBackend() {
        GenerationRequest r = request("a", prompt(24, 80), constrainedGreedy(
                OutputConstraint.toolCall(List.of("get_weather")), false), 1);
        List<Integer> cpu = run(constrainedEngine(false), r).tokens(0);
        assertThat(run(constrainedEngine(true), r).tokens(0)).isEqualTo(cpu);
    }

    /**
     * bf16 on the device and f32 on the CPU part ways after a few dozen free-form JSON tokens (a near tie), so
     * JSON mode is checked against the rule itself: every token is one the constraint allows, and no allowed
     * token among the 20 most likely scored higher.
     */
    @Test
    void constrained_jsonObjectGreedy_eachTokenTheBestTheConstraintAllows() {
        LocalEngine engine = constrainedEngine(true);
        ModelInfo c = engine.model();
        List<Integer> eos = c.eosTokenIds();
        TextCodec codec = asciiChars(eos);
        RecordingSink sink = run(engine, request("a", prompt(24, 80), constrainedGreedy(OutputConstraint.jsonObject(),
                true), 1));
        TokenConstraint rule = new TokenConstraint(OutputConstraint.jsonObject(),
                ConstraintVocabulary.of(c.vocabSize(), codec::tokenBytes, codec::isSpecial, eos));
        List<String> violations = new ArrayList<>();
        List<TokenEvent.Token> tokens = sink.events().stream().filter(e -> e instanceof TokenEvent.Token)
                .map(e -> (TokenEvent.Token) e).toList();
        for (int step = 0; step < tokens.size(); step++) {
            TokenEvent.Token t = tokens.get(step);
            if (!rule.allows(t.tokenId())) {
                violations.add(step + ": token " + t.tokenId() + " is not allowed");
            }
            for (TokenEvent.Alternative a : t.logprob().top()) {
                int id = a.bytes().length == 0 ? eos.getFirst() : a.bytes()[0] - 32;
                if (a.bytes().length > 0 && eos.contains(id)) {
                    id += 95;
                }
                if (a.logprob() > t.logprob().logprob() && rule.allows(id)) {
                    violations.add(step + ": allowed '" + a.token() + "' scored above token " + t.tokenId());
                }
            }
            rule.advance(t.tokenId());
        }
        assertThat(tokens).as("precondition: output").hasSizeGreaterThan(10);
        assertThat(violations).isEmpty();
    }

    @Test
    void snapshot_whileServing_reportsDeviceMemory() {
        LocalEngine engine = roomy();
        run(engine, request("a", prompt(5, 70), greedy(2), 1));
        assertThat(engine.snapshot().deviceMemoryUsedBytes()).isPositive();
    }
}
