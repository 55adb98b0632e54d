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
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole engine (KV cache manager, batch scheduler, waiting queue, sampler states, stop handling) on a real
 * backend and a synthetic {@code tiny} model: the paged layout — prefix-cache hits, preemption by recompute,
 * batch composition, copy on write for {@code n > 1} — must not change a single token, and what the engine
 * promises (log probabilities, stop strings, aborts that return every block, embeddings, constrained choices,
 * device memory in the snapshot) must hold whichever backend serves.
 *
 * <p>{@code LocalEngineCpuTest} runs it on the CPU backend; {@code gateway-cuda} runs it on the CUDA backend on
 * the kernel emulator in every build and on a GPU under the {@code gpu} tag. Subclasses say how to open the
 * backend and may add what only theirs has.
 */
abstract class LocalEngineContract {

    @TempDir
    static Path root;
    private static int ids;
    private final List<LocalEngine> engines = new ArrayList<>();
    /** Each engine's waiting queue, held by {@link #runAll} while it submits. */
    private final Map<LocalEngine, HeldQueue<Work>> queues = new IdentityHashMap<>();

    /** Opens the backend under test over {@code model}, which it then owns. */
    abstract ExecutionBackend openBackend(Model model, BackendOptions options);

    /** The weights' dtype of the test model. */
    DType modelDType() {
        return DType.BF16;
    }

    /** Whether the backend holds device memory while serving. */
    boolean holdsDeviceMemory() {
        return false;
    }

    /** Whether the backend reads decode tokens sampled by the previous step on the device (the loop may run ahead). */
    boolean feedsSampledTokens() {
        return false;
    }

    @AfterEach
    void closeEngines() {
        engines.forEach(LocalEngine::close);
        engines.clear();
    }

    Path modelDir() {
        return TestModels.synthetic(root, "tiny", modelDType(), 7);
    }

    /**
     * An engine whose pool holds exactly {@code kvBlocks} blocks of {@code blockSize} tokens. The backend gets room
     * for twice as many (a GPU backend also keeps attention partials per block, so the same bytes buy it fewer),
     * so tests that need pool pressure get the same pool whichever backend runs them.
     */
    LocalEngine engine(int kvBlocks, int blockSize, int maxBatchTokens, int maxRunning) {
        return engine(kvBlocks, blockSize, maxBatchTokens, maxRunning, false);
    }

    /** As {@link #engine(int, int, int, int)}, the loop overlapping host work with the device where it can. */
    LocalEngine engine(int kvBlocks, int blockSize, int maxBatchTokens, int maxRunning, boolean overlap) {
        Model model = Model.open(modelDir());
        long bytes = KvLayout.of(model.config(), blockSize, 4).bytesPerBlock() * kvBlocks * 2;
        ExecutionBackend backend = openBackend(model, new BackendOptions(blockSize, bytes, 2, List.of(), 0.6,
                maxBatchTokens, maxRunning));
        if (backend.kvBlocks() < kvBlocks) {
            backend.close();
            throw new IllegalStateException("the backend made room for " + backend.kvBlocks() + " KV blocks, not "
                    + kvBlocks);
        }
        return engineOn(backend, ids(), kvBlocks, blockSize, maxBatchTokens, maxRunning, overlap);
    }

    LocalEngine engine(int kvBlocks, int maxBatchTokens, int maxRunning) {
        return engine(kvBlocks, 16, maxBatchTokens, maxRunning);
    }

    LocalEngine roomy() {
        return engine(256, 512, 16);
    }

    private LocalEngine engineOn(ExecutionBackend backend, TextCodec codec, int kvBlocks, int blockSize,
                                 int maxBatchTokens, int maxRunning, boolean overlap) {
        ModelConfig c = backend.config();
        ModelInfo info = new ModelInfo("tiny", "llama", c.contextLength(), c.vocabSize(), c.hiddenSize(), false,
                backend.name(), "fp-test", c.eosTokenIds());
        HeldQueue<Work> queue = new HeldQueue<>(new FifoTenantScheduler<>());
        LocalEngine engine = new LocalEngine(info, StepExecutor.of(backend), codec, tokenIdsOnly(),
                new KvCacheManager(kvBlocks, blockSize), matcher -> queue, Ticker.system(),
                new LocalEngine.Limits(maxBatchTokens, maxRunning, List.of(), io.fairlane.engine.Preemption.none(),
                        overlap));
        engines.add(engine);
        queues.put(engine, queue);
        return engine;
    }

    /** Token ids rendered as {@code <id>}: enough for the engine, which only needs text to stream. */
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

    /** Plain ids (3..255, clear of the fixture tokenizer's specials). */
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

    static SamplingParams seeded(double temperature, int maxTokens) {
        return params(temperature, OptionalLong.of(42), maxTokens, false, 0, List.of(), true);
    }

    static GenerationRequest request(String tenant, int[] prompt, SamplingParams params, int n) {
        return new GenerationRequest("engine-" + (++ids), tenant, ServiceTier.DEFAULT, tenant,
                new PreparedPrompt(prompt, ""), params, n);
    }

    static RecordingSink run(LocalEngine engine, GenerationRequest r) {
        RecordingSink sink = new RecordingSink();
        engine.submit(r, sink);
        return sink.await();
    }

    static List<List<Integer>> choices(RecordingSink sink, int n) {
        return IntStream.range(0, n).mapToObj(sink::tokens).toList();
    }

    /**
     * Submits every prompt with the engine's waiting queue held, so its first step sees them all: the batch
     * compositions and preemptions that follow are the same on an idle machine and a loaded one.
     */
    List<List<Integer>> runAll(LocalEngine engine, List<int[]> prompts, SamplingParams params) {
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

    /** What {@code prompts} generate one at a time on a roomy engine. */
    List<List<Integer>> solo(List<int[]> prompts, SamplingParams params) {
        LocalEngine solo = roomy();
        return prompts.stream().map(p -> run(solo, request("a", p, params, 1)).tokens(0)).toList();
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
        List<List<Integer>> expected = solo(prompts, greedy(20));
        // each sequence reaches 60 tokens (4 blocks); 9 blocks hold two and a bit
        LocalEngine tight = engine(9, 64, 4);
        List<List<Integer>> actual = runAll(tight, prompts, greedy(20));
        assertThat(tight.snapshot().preemptions()).as("the pool must force preemptions").isPositive();
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    void greedy_loopAStepAheadUnderPreemption_matchesSoloRuns() {
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            prompts.add(prompt(40, 10 + i));
        }
        List<List<Integer>> expected = solo(prompts, greedy(20));
        LocalEngine tight = engine(9, 16, 64, 4, true);
        List<List<Integer>> actual = runAll(tight, prompts, greedy(20));
        assertThat(tight.snapshot().preemptions()).as("the pool must force preemptions").isPositive();
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    void seeded_loopAStepAhead_sameDrawsAsOneStepAtATime() {
        List<int[]> prompts = List.of(prompt(5, 60), prompt(19, 61), prompt(33, 62));
        List<List<Integer>> oneAtATime = runAll(engine(256, 16, 64, 4, false), prompts, seeded(0.9, 12));
        assertThat(runAll(engine(256, 16, 64, 4, true), prompts, seeded(0.9, 12))).isEqualTo(oneAtATime);
    }

    @Test
    void overlap_loopRunsAhead_onlyWhereTheBackendFeedsSampledTokens() {
        LocalEngine engine = engine(256, 16, 64, 4, true);
        runAll(engine, List.of(prompt(6, 63), prompt(9, 64)), greedy(8));
        assertThat(engine.stepsSubmittedAhead() > 0).isEqualTo(feedsSampledTokens());
    }

    @Test
    void greedy_concurrentBatch_matchesSoloRuns() {
        List<int[]> prompts = List.of(prompt(3, 20), prompt(17, 21), prompt(50, 22), prompt(1, 24));
        List<List<Integer>> expected = solo(prompts, greedy(10));
        assertThat(runAll(engine(256, 33, 4), prompts, greedy(10))).isEqualTo(expected);
    }

    @Test
    void nChoices_seeded_underPreemption_sameAsRoomy() {
        int[] p = prompt(21, 30);
        RecordingSink roomy = run(roomy(), request("a", p, seeded(0.8, 30), 3));
        LocalEngine tight = engine(8, 64, 8);
        RecordingSink squeezed = run(tight, request("a", p, seeded(0.8, 30), 3));
        assertThat(tight.snapshot().preemptions()).as("the pool must force preemptions").isPositive();
        assertThat(choices(squeezed, 3)).isEqualTo(choices(roomy, 3));
    }

    @Test
    void nChoices_seeded_eachChoiceDrawsFromItsOwnStream() {
        RecordingSink sink = run(roomy(), request("a", prompt(21, 30), seeded(0.9, 16), 3));
        assertThat(choices(sink, 3).stream().distinct().count()).isGreaterThan(1);
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

    /** An engine for constrained decoding, on the backend under test or on the CPU reference (one thread). */
    private LocalEngine constrainedEngine(boolean underTest) {
        Model model = Model.open(modelDir());
        BackendOptions options = new BackendOptions(16, KvLayout.of(model.config(), 16, 2).bytesPerBlock() * 128,
                underTest ? 2 : 1, List.of(), 0.6, 512, 16);
        ExecutionBackend backend = underTest ? openBackend(model, options) : CpuBackend.open(model, options);
        return engineOn(backend, asciiChars(model.config().eosTokenIds()), 64, 16, 512, 16, false);
    }

    private static SamplingParams constrainedGreedy(OutputConstraint constraint, boolean logprobs) {
        return new SamplingParams(0, 1, 0, 0, OptionalLong.of(5), 0, 0, Map.of(), logprobs, logprobs ? 20 : 0, 48,
                List.of(), false, constraint);
    }

    @Test
    void constrained_forcedToolCallGreedy_sameTokensAsTheCpuReference() {
        GenerationRequest r = request("a", prompt(24, 80), constrainedGreedy(
                OutputConstraint.toolCall(List.of("get_weather")), false), 1);
        List<Integer> reference = run(constrainedEngine(false), r).tokens(0);
        assertThat(run(constrainedEngine(true), r).tokens(0)).isEqualTo(reference);
    }

    /**
     * bf16 on a device and f32 on the CPU part ways after a few dozen free-form JSON tokens (a near tie), so
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
    void snapshot_whileServing_reportsTheDeviceMemoryTheBackendHolds() {
        LocalEngine engine = roomy();
        run(engine, request("a", prompt(5, 70), greedy(2), 1));
        assertThat(engine.snapshot().deviceMemoryUsedBytes() > 0).isEqualTo(holdsDeviceMemory());
    }
}
