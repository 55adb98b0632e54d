package io.fairlane.engine.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.model.DType;
import io.fairlane.engine.model.Model;
import io.fairlane.engine.model.ModelShape;
import io.fairlane.engine.model.SyntheticModels;
import io.fairlane.engine.model.TestModels;
import io.fairlane.engine.sampling.SampleResult;
import io.fairlane.engine.sampling.Sampler;
import io.fairlane.engine.sampling.SamplingState;
import io.fairlane.engine.tokenizer.Tokenizer;
import io.fairlane.engine.tokenizer.TokenizerPackages;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What every {@link ExecutionBackend} must do, through the seam the engine uses, checked against the CPU backend
 * as the reference (the project's oracle; it runs on one worker thread here, so a CPU backend under test with
 * more threads also shows that its results do not depend on the thread count): logits and greedy continuations
 * of every model family, seeded draws and log probabilities as the host {@link Sampler} computes them,
 * embeddings, chunked prefill, prefix-cache hits, preemption by recompute, forks by block copy, independence
 * from batch mates, {@code submit}/{@code await}, and argument errors that leave the cache untouched and the
 * backend working.
 *
 * <p>The CPU backend ({@code CpuBackendTest}) passes it exactly; the CUDA backend passes it within bf16 tolerance
 * on the kernel emulator in every build and on a GPU under the {@code gpu} tag ({@code gateway-cuda}). A backend
 * test extends this class, says how to open the backend and how closely it must follow the reference, and adds
 * what only that backend has.
 */
public abstract class BackendContract {

    protected static final int BLOCK = 16;
    /** Sequence i owns blocks [i * 16, i * 16 + 16): 256 positions. */
    protected static final int BLOCKS_PER_SEQUENCE = 16;

    /**
     * How closely a backend must follow the reference.
     *
     * @param againstReference  largest relative L2 error of logits and embeddings against the CPU reference
     * @param withinBackend     largest relative L2 error between two runs of the same backend that compute the
     *                          same values in other chunks, batches or blocks
     * @param decodeVsPrefill   the same for a token computed once as a one-token decode and once as the last row
     *                          of a prefill (different attention kernels on a GPU)
     * @param nearTie           a reference top-1 lead (in logits) below which a different greedy choice is
     *                          accepted: a tie the backend's precision cannot resolve
     * @param seededMisses      seeded draws (of eight) allowed to differ from the reference sampler's
     * @param logprobAbsolute   largest difference of a sampled token's log probability from the reference's
     */
    protected record Tolerance(double againstReference, double withinBackend, double decodeVsPrefill,
                               double nearTie, int seededMisses, double logprobAbsolute) {

        /** Bit for bit: the CPU backend against itself. */
        public static final Tolerance EXACT = new Tolerance(0, 0, 0, 0, 0, 0);
        /** bf16 weights, activations and KV cache against the CPU's f32 arithmetic. */
        public static final Tolerance BF16 = new Tolerance(2e-2, 2e-3, 1e-2, 0.05, 1, 0.05);
    }

    @TempDir
    protected static Path root;

    private final List<AutoCloseable> open = new ArrayList<>();

    /** Opens the backend under test over {@code model}, which it then owns. */
    protected abstract ExecutionBackend openBackend(Model model, BackendOptions options);

    protected abstract Tolerance tolerance();

    /** Greedy tokens compared per family. */
    protected int continuationTokens() {
        return 12;
    }

    /** Why this suite does not compare models with real tokenizers (vocabularies of 32k to 152k ids), if so. */
    protected Optional<String> realTokenizersSkipped() {
        return Optional.empty();
    }

    /** Whether the backend holds device memory while open (it must hold none once closed). */
    protected boolean holdsDeviceMemory() {
        return false;
    }

    /** Options for the backend under test: 32 MiB of KV cache, steps of up to 256 tokens and 8 sequences. */
    protected BackendOptions options() {
        return new BackendOptions(BLOCK, 32L << 20, 2, List.of(), 0.55, 256, 8);
    }

    @AfterEach
    void closeBackends() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        open.clear();
    }

    /** The backend under test over a synthetic model of {@code shape}. */
    protected ExecutionBackend backend(String shape) {
        return track(openBackend(TestModels.open(root, shape, DType.BF16, 5), options()));
    }

    /** The CPU reference over the same model, on one worker thread. */
    protected CpuBackend reference(String shape) {
        return track(CpuBackend.open(TestModels.open(root, shape, DType.BF16, 5),
                new BackendOptions(BLOCK, 8 << 20, 1, List.of(), 0.9, 256, 8)));
    }

    protected <T extends AutoCloseable> T track(T resource) {
        open.add(resource);
        return resource;
    }

    protected static int[] prompt(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = 3 + rnd.nextInt(TestModels.VOCAB - 3);
        }
        return t;
    }

    protected static int[] table(int sequence) {
        int[] t = new int[BLOCKS_PER_SEQUENCE];
        for (int i = 0; i < t.length; i++) {
            t[i] = sequence * BLOCKS_PER_SEQUENCE + i;
        }
        return t;
    }

    protected static SamplingState greedy() {
        return SamplingState.of(SamplingParams.greedy(1000), 0L, 0);
    }

    protected static double relativeError(float[] got, float[] want) {
        assertThat(got).as("length").hasSameSizeAs(want);
        double num = 0;
        double den = 0;
        for (int i = 0; i < got.length; i++) {
            num += (double) (got[i] - want[i]) * (got[i] - want[i]);
            den += (double) want[i] * want[i];
        }
        return Math.sqrt(num / den);
    }

    protected static float[] logitsAfter(ExecutionBackend b, int[] tokens, int sequence) {
        return b.step(BatchInput.of(SequenceInput.logits(tokens, 0, table(sequence)))).logits(0);
    }

    private static int sampleOne(ExecutionBackend b, SequenceInput input) {
        return b.step(BatchInput.of(input)).token(0);
    }

    // ---------------------------------------------------------------------------------------------------
    // against the reference

    @ParameterizedTest
    @ValueSource(strings = {"tiny", "tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-mistral"})
    void logits_everyFamily_matchTheReference(String shape) {
        int[] tokens = prompt(37, 1);
        float[] want = logitsAfter(reference(shape), tokens, 0);
        float[] got = logitsAfter(backend(shape), tokens, 0);
        assertThat(relativeError(got, want)).as(shape).isLessThanOrEqualTo(tolerance().againstReference());
    }

    /**
     * Greedy decoding on both, the reference with its logits (to judge ties), the backend sampling itself; how
     * many tokens agree before the first divergence that is not a near-tie, or all of them.
     */
    int greedyAgreement(CpuBackend reference, ExecutionBackend backend, int[] prompt, int steps) {
        float[] referenceLogits = logitsAfter(reference, prompt, 0);
        int token = sampleOne(backend, SequenceInput.sample(prompt, 0, table(0), greedy()));
        for (int i = 0; i < steps; i++) {
            int want = Sampler.argmax(referenceLogits);
            if (want != token) {
                double lead = referenceLogits[want] - referenceLogits[token];
                return lead < tolerance().nearTie() ? steps : i;
            }
            int position = prompt.length + i;
            referenceLogits = reference.step(BatchInput.of(SequenceInput.logits(new int[] {want}, position,
                    table(0)))).logits(0);
            token = sampleOne(backend, SequenceInput.sample(new int[] {token}, position, table(0), greedy()));
        }
        return steps;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny", "tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-mistral"})
    void greedy_everyFamily_followsTheReferenceTokenForToken(String shape) {
        int steps = continuationTokens();
        assertThat(greedyAgreement(reference(shape), backend(shape), prompt(21, 2), steps)).as(shape)
                .isEqualTo(steps);
    }

    /**
     * The engine's synthetic models paired with real tokenizers (fetched by the build from npm; skipped with the
     * fetch script's reason where they are absent): a text prompt through the real tokenizer, then greedy
     * continuations compared token for token.
     */
    @ParameterizedTest
    @CsvSource({"tiny-llama, llama3", "tiny-qwen3, qwen3", "tiny, llama2"})
    void greedy_realTokenizer_followsTheReferenceTokenForToken(String shape, String tokenizerName) throws Exception {
        Optional<String> skipped = realTokenizersSkipped();
        Assumptions.assumeTrue(skipped.isEmpty(), () -> "skipped: " + skipped.orElseThrow());
        Path tokenizerDir = TokenizerPackages.models(tokenizerName);
        Path dir = SyntheticModels.materialize(ModelShape.named(shape), DType.BF16, 11, tokenizerDir,
                root.resolve(shape + "-" + tokenizerName), new SyntheticModels.Options(1L << 30, 2));
        Tokenizer tokenizer = Tokenizer.load(tokenizerDir.resolve("tokenizer.json"));
        int[] prompt = tokenizer.encode("The quick brown fox jumps over the lazy dog. Ünïcödé, emoji 🦊 and"
                + " code: for (int i = 0; i < n; i++) {}", true);
        CpuBackend reference = track(CpuBackend.open(Model.open(dir), new BackendOptions(BLOCK, 8 << 20, 1,
                List.of(), 0.9, 256, 8)));
        ExecutionBackend backend = track(openBackend(Model.open(dir), options()));
        int steps = continuationTokens();
        assertThat(greedyAgreement(reference, backend, prompt, steps)).as(shape + " with " + tokenizerName)
                .isEqualTo(steps);
    }

    @Test
    void seededSampling_sameSeed_drawsWhatTheReferenceSamplerDraws() {
        CpuBackend reference = reference("tiny-qwen3");
        ExecutionBackend backend = backend("tiny-qwen3");
        SamplingParams params = new SamplingParams(0.9, 0.95, 40, 0.02, OptionalLong.of(1234), 0, 0, Map.of(), false,
                0, 100, List.of(), false);
        int[] tokens = prompt(17, 3);
        int agree = 0;
        int rounds = 8;
        for (int counter = 0; counter < rounds; counter++) {
            // the same prompt, a different draw each round: the counter moves as generation would move it
            SamplingState state = SamplingState.of(params, 99L, 0);
            for (int k = 0; k < counter; k++) {
                state.accept(3 + k);
            }
            SampleResult want = Sampler.sample(logitsAfter(reference, tokens, 0), state);
            if (sampleOne(backend, SequenceInput.sample(tokens, 0, table(1), state)) == want.tokenId()) {
                agree++;
            }
        }
        assertThat(agree).as("seeded draws equal to the reference sampler's")
                .isGreaterThanOrEqualTo(rounds - tolerance().seededMisses());
    }

    @Test
    void logprobs_topAlternatives_matchTheReferenceSampler() {
        SamplingParams params = new SamplingParams(0, 1, 0, 0, OptionalLong.empty(), 0, 0, Map.of(), true, 5, 10,
                List.of(), false);
        SamplingState state = SamplingState.of(params, 1L, 0);
        int[] tokens = prompt(13, 9);
        SampleResult want = Sampler.sample(logitsAfter(reference("tiny-llama"), tokens, 0), state);
        SequenceOutput out = backend("tiny-llama").step(BatchInput.of(SequenceInput.sample(tokens, 0, table(0),
                state))).get(0);
        SampleResult got = ((SequenceOutput.Sampled) out).result();
        assertThat(List.of(got.topIds().length, got.topIds()[0])).containsExactly(5, want.topIds()[0]);
        assertThat((double) got.logprob()).isCloseTo(want.logprob(), Offset.offset(tolerance().logprobAbsolute()));
    }

    @Test
    void embed_meanFinalState_matchesTheReference() {
        int[] tokens = prompt(29, 4);
        float[] want = reference("tiny-llama").embed(tokens);
        float[] got = backend("tiny-llama").embed(tokens);
        assertThat(relativeError(got, want)).isLessThanOrEqualTo(tolerance().againstReference());
    }

    @Test
    void embed_inputLongerThanOneStep_matchesTheReference() {
        int[] tokens = prompt(300, 21);  // more than options().maxBatchTokens()
        float[] want = reference("tiny-qwen2").embed(tokens);
        float[] got = backend("tiny-qwen2").embed(tokens);
        assertThat(relativeError(got, want)).isLessThanOrEqualTo(tolerance().againstReference());
    }

    // ---------------------------------------------------------------------------------------------------
    // the same values along different paths

    @Test
    void embed_sameAsAHiddenMeanStep() {
        ExecutionBackend b = backend("tiny-qwen2");
        int[] p = prompt(13, 12);
        float[] embedded = b.embed(p);
        SequenceOutput stepped = b.step(BatchInput.of(new SequenceInput(p, 0, table(0),
                SequenceInput.Output.HIDDEN_MEAN, null))).get(0);
        assertThat(relativeError(((SequenceOutput.HiddenMean) stepped).values(), embedded))
                .isLessThanOrEqualTo(tolerance().withinBackend());
    }

    @Test
    void embed_betweenSteps_leavesThePagedCacheUntouched() {
        ExecutionBackend b = backend("tiny");
        b.step(BatchInput.of(SequenceInput.prefill(prompt(20, 22), 0, table(0))));
        float[] before = b.step(BatchInput.of(SequenceInput.logits(new int[] {7}, 20, table(0)))).logits(0);
        b.embed(prompt(40, 23));
        float[] after = b.step(BatchInput.of(SequenceInput.logits(new int[] {7}, 20, table(0)))).logits(0);
        assertThat(after).containsExactly(before);
    }

    /** Prefills in chunks of {@code chunk} tokens, then decodes {@code tokens}; the logits after each. */
    private static List<float[]> logitsAlong(ExecutionBackend b, int sequence, int[] prompt, int chunk,
                                             int[] tokens) {
        List<float[]> out = new ArrayList<>();
        for (int pos = 0; pos < prompt.length; pos += chunk) {
            int len = Math.min(chunk, prompt.length - pos);
            int[] part = Arrays.copyOfRange(prompt, pos, pos + len);
            if (pos + len < prompt.length) {
                b.step(BatchInput.of(SequenceInput.prefill(part, pos, table(sequence))));
            } else {
                out.add(b.step(BatchInput.of(SequenceInput.logits(part, pos, table(sequence)))).logits(0));
            }
        }
        for (int i = 0; i < tokens.length; i++) {
            out.add(b.step(BatchInput.of(SequenceInput.logits(new int[] {tokens[i]}, prompt.length + i,
                    table(sequence)))).logits(0));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-qwen2", "tiny-mistral"})
    void chunkedPrefill_thenDecode_sameLogitsAsWholePrefill(String shape) {
        ExecutionBackend b = backend(shape);
        int[] p = prompt(45, 9);
        int[] continuation = prompt(10, 10);
        List<float[]> whole = logitsAlong(b, 0, p, 64, continuation);
        List<float[]> chunked = logitsAlong(b, 1, p, 7, continuation);
        double worst = 0;
        for (int i = 0; i < whole.size(); i++) {
            worst = Math.max(worst, relativeError(chunked.get(i), whole.get(i)));
        }
        assertThat(worst).isLessThanOrEqualTo(tolerance().withinBackend());
    }

    @Test
    void prefixHit_cachedBlocksReused_sameLogitsAsCold() {
        ExecutionBackend b = backend("tiny-qwen3");
        int[] shared = prompt(32, 5);
        int[] suffix = prompt(7, 6);
        int[] full = Arrays.copyOf(shared, 39);
        System.arraycopy(suffix, 0, full, 32, 7);
        float[] cold = logitsAfter(b, full, 0);
        b.step(BatchInput.of(SequenceInput.prefill(shared, 0, table(1))));
        int[] hitTable = table(2);
        hitTable[0] = table(1)[0];
        hitTable[1] = table(1)[1];
        float[] hit = b.step(BatchInput.of(SequenceInput.logits(suffix, 32, hitTable))).logits(0);
        assertThat(relativeError(hit, cold)).isLessThanOrEqualTo(tolerance().withinBackend());
    }

    @Test
    void preemptionByRecompute_resumedSequence_continuesIdentically() {
        ExecutionBackend b = backend("tiny-mistral");
        int[] prompt = prompt(20, 7);
        List<Integer> straight = new ArrayList<>();
        int t = sampleOne(b, SequenceInput.sample(prompt, 0, table(0), greedy()));
        for (int i = 0; i < 12; i++) {
            straight.add(t);
            t = sampleOne(b, SequenceInput.sample(new int[] {t}, 20 + i, table(0), greedy()));
        }
        // run 5 tokens, lose the blocks, recompute prompt + generated tokens on other blocks, continue
        List<Integer> resumed = new ArrayList<>();
        t = sampleOne(b, SequenceInput.sample(prompt, 0, table(1), greedy()));
        for (int i = 0; i < 5; i++) {
            resumed.add(t);
            t = sampleOne(b, SequenceInput.sample(new int[] {t}, 20 + i, table(1), greedy()));
        }
        int[] recompute = new int[25];
        System.arraycopy(prompt, 0, recompute, 0, 20);
        for (int i = 0; i < 5; i++) {
            recompute[20 + i] = resumed.get(i);
        }
        t = sampleOne(b, SequenceInput.sample(recompute, 0, table(2), greedy()));
        for (int i = 5; i < 12; i++) {
            resumed.add(t);
            t = sampleOne(b, SequenceInput.sample(new int[] {t}, 20 + i, table(2), greedy()));
        }
        assertThat(resumed).isEqualTo(straight);
    }

    @Test
    void copyBlock_forkedPartialBlock_bothContinuationsIdentical() {
        ExecutionBackend b = backend("tiny-qwen2");
        int[] prompt = prompt(20, 8);
        int first = sampleOne(b, SequenceInput.sample(prompt, 0, table(0), greedy()));
        int[] child = table(1);
        child[0] = table(0)[0];
        b.copyBlock(table(0)[1], child[1]);
        List<Integer> parentTokens = new ArrayList<>();
        List<Integer> childTokens = new ArrayList<>();
        int x = first;
        int y = first;
        for (int i = 0; i < 6; i++) {
            StepResult r = b.step(new BatchInput(List.of(
                    SequenceInput.sample(new int[] {x}, 20 + i, table(0), greedy()),
                    SequenceInput.sample(new int[] {y}, 20 + i, child, greedy()))));
            x = r.token(0);
            y = r.token(1);
            parentTokens.add(x);
            childTokens.add(y);
        }
        assertThat(childTokens).isEqualTo(parentTokens);
    }

    @Test
    void copyBlock_forkedSequence_logitsAsTheOriginal() {
        ExecutionBackend b = backend("tiny");
        int[] p = prompt(21, 8); // two blocks: one full, one partial
        float[] original = logitsAfter(b, p, 0);
        // The fork shares block 0 (full), gets a private copy of the partial block 1, and recomputes token 20.
        int[] fork = {table(0)[0], table(1)[0], table(1)[1]};
        b.copyBlock(table(0)[1], fork[1]);
        float[] forked = b.step(BatchInput.of(SequenceInput.logits(Arrays.copyOfRange(p, 20, 21), 20, fork)))
                .logits(0);
        assertThat(relativeError(forked, original)).isLessThanOrEqualTo(tolerance().decodeVsPrefill());
    }

    @Test
    void step_outputsOfASequence_doNotDependOnWhatSharesTheBatch() {
        ExecutionBackend b = backend("tiny-qwen3");
        int[] p = prompt(9, 1);
        int[] decoding = prompt(14, 4);
        b.step(BatchInput.of(SequenceInput.prefill(decoding, 0, table(0))));
        b.step(BatchInput.of(SequenceInput.prefill(decoding, 0, table(4))));
        float[] promptAlone = logitsAfter(b, p, 1);
        float[] decodeAlone = b.step(BatchInput.of(SequenceInput.logits(new int[] {5}, 14, table(0)))).logits(0);
        StepResult mixed = b.step(new BatchInput(List.of(
                SequenceInput.prefill(prompt(20, 2), 0, table(2)),
                SequenceInput.logits(new int[] {5}, 14, table(4)),
                SequenceInput.logits(p, 0, table(3)),
                SequenceInput.logits(prompt(3, 3), 0, table(5)))));
        assertThat(List.of(relativeError(mixed.logits(2), promptAlone), relativeError(mixed.logits(1), decodeAlone)))
                .allSatisfy(e -> assertThat(e).isLessThanOrEqualTo(tolerance().withinBackend()));
    }

    // ---------------------------------------------------------------------------------------------------
    // submit and await

    @Test
    void submit_plainBatch_sameLogitsAsStep() {
        ExecutionBackend b = backend("tiny");
        float[] stepped = logitsAfter(b, prompt(9, 4), 0);
        float[] submitted = b.submit(BatchInput.of(SequenceInput.logits(prompt(9, 4), 0, table(1)))).await()
                .logits(0);
        assertThat(relativeError(submitted, stepped)).isLessThanOrEqualTo(tolerance().withinBackend());
    }

    @Test
    void submit_sampledByTokens_sameTokensAsStepByStep() {
        ExecutionBackend b = backend("tiny-llama");
        Assumptions.assumeTrue(b.feedsSampledTokens(), () -> "skipped: the " + b.name() + " backend does not feed"
                + " sampled tokens on the device (submit_sampledByTokens_refusedWhereNotFedOnTheDevice covers it)");
        int[] prompt = prompt(20, 11);
        List<Integer> stepByStep = new ArrayList<>();
        int t = sampleOne(b, SequenceInput.sample(prompt, 0, table(0), greedy()));
        for (int i = 0; i < 8; i++) {
            stepByStep.add(t);
            t = sampleOne(b, SequenceInput.sample(new int[] {t}, 20 + i, table(0), greedy()));
        }
        // Every step is queued before the host reads anything; the first also carries another sequence's prefill
        // chunk ahead of the sampled one, so "sequence 1 of the previous step" is not sampled row 1.
        List<PendingStep> inFlight = new ArrayList<>();
        inFlight.add(b.submit(new BatchInput(List.of(SequenceInput.prefill(prompt(24, 12), 0, table(2)),
                SequenceInput.sample(prompt, 0, table(1), greedy())))));
        for (int i = 0; i < 7; i++) {
            inFlight.add(b.submit(BatchInput.of(SequenceInput.sampledBy(i == 0 ? 1 : 0, 20 + i, table(1),
                    greedy()))));
        }
        List<Integer> pipelined = new ArrayList<>();
        pipelined.add(inFlight.get(0).await().token(1));
        for (int i = 1; i < inFlight.size(); i++) {
            pipelined.add(inFlight.get(i).await().token(0));
        }
        assertThat(pipelined).isEqualTo(stepByStep);
    }

    @Test
    void submit_sampledByTokens_refusedWhereNotFedOnTheDevice() {
        ExecutionBackend b = backend("tiny");
        Assumptions.assumeFalse(b.feedsSampledTokens(), () -> "skipped: the " + b.name() + " backend feeds sampled"
                + " tokens on the device (submit_sampledByTokens_sameTokensAsStepByStep covers it)");
        b.step(BatchInput.of(SequenceInput.sample(prompt(9, 4), 0, table(0), greedy())));
        assertThatThrownBy(() -> b.submit(BatchInput.of(SequenceInput.sampledBy(0, 9, table(0), greedy()))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not read tokens sampled by the previous step");
    }

    @Test
    void submit_tokenFromAPreviousStepThatSampledNothing_isRefused() {
        ExecutionBackend b = backend("tiny");
        b.submit(BatchInput.of(SequenceInput.prefill(prompt(8, 13), 0, table(0)))).await();
        assertThatThrownBy(() -> b.submit(BatchInput.of(SequenceInput.sampledBy(0, 8, table(0), greedy()))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(b.feedsSampledTokens() ? "sampled nothing" : "does not read tokens sampled");
    }

    @Test
    void submit_tokenFromThePreviousStepAfterAnEmbedding_isRefused() {
        ExecutionBackend b = backend("tiny");
        b.step(BatchInput.of(SequenceInput.sample(prompt(8, 14), 0, table(0), greedy())));
        b.embed(prompt(5, 15));
        assertThatThrownBy(() -> b.submit(BatchInput.of(SequenceInput.sampledBy(0, 8, table(0), greedy()))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------------------------------------------
    // argument errors

    @Test
    void step_tokenOutsideVocabulary_isRefusedNamingTheSequence() {
        ExecutionBackend b = backend("tiny");
        BatchInput bad = new BatchInput(List.of(SequenceInput.prefill(new int[] {5}, 0, table(0)),
                SequenceInput.prefill(new int[] {TestModels.VOCAB}, 0, table(1))));
        assertThatThrownBy(() -> b.step(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sequence 1").hasMessageContaining("vocabulary");
    }

    @Test
    void step_blockTableTooShort_isRefusedNamingTheSequence() {
        ExecutionBackend b = backend("tiny");
        BatchInput bad = BatchInput.of(SequenceInput.prefill(prompt(20, 1), 0, new int[] {0}));
        assertThatThrownBy(() -> b.step(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sequence 0").hasMessageContaining("need");
    }

    @Test
    void step_blockIdOutsideTheStore_isRefusedNamingTheStoreSize() {
        ExecutionBackend b = backend("tiny");
        BatchInput bad = BatchInput.of(SequenceInput.prefill(prompt(3, 1), 0, new int[] {b.kvBlocks()}));
        assertThatThrownBy(() -> b.step(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Integer.toString(b.kvBlocks()));
    }

    @Test
    void step_positionsBeyondTheContext_isRefused() {
        ExecutionBackend b = backend("tiny");
        int context = b.config().contextLength();
        int[] wide = new int[context / BLOCK + 1];
        Arrays.setAll(wide, i -> i);
        BatchInput bad = BatchInput.of(SequenceInput.prefill(new int[] {5}, context, wide));
        assertThatThrownBy(() -> b.step(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("context length");
    }

    /**
     * A refused batch whose first sequence would have overwritten another's blocks: nothing of it may reach the
     * cache, and the backend goes on serving.
     */
    @Test
    void step_refusedBatch_leavesTheCacheUntouchedAndTheBackendWorking() {
        ExecutionBackend b = backend("tiny");
        int[] p = prompt(20, 30);
        float[] before = logitsAfter(b, p, 0);
        BatchInput bad = new BatchInput(List.of(SequenceInput.prefill(prompt(20, 31), 0, table(0)),
                SequenceInput.prefill(new int[] {1, TestModels.VOCAB}, 0, table(1))));
        assertThatThrownBy(() -> b.step(bad)).isInstanceOf(IllegalArgumentException.class);
        float[] after = b.step(BatchInput.of(SequenceInput.logits(new int[] {p[19]}, 19, table(0)))).logits(0);
        assertThat(relativeError(after, before)).isLessThanOrEqualTo(tolerance().decodeVsPrefill());
    }

    @Test
    void close_releasesDeviceMemory() {
        ExecutionBackend b = openBackend(TestModels.open(root, "tiny", DType.BF16, 5), options());
        boolean heldWhileOpen = b.deviceMemoryUsedBytes() > 0;
        b.close();
        assertThat(List.of(heldWhileOpen, b.deviceMemoryUsedBytes())).containsExactly(holdsDeviceMemory(), 0L);
    }
}
