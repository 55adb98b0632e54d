package io.fairlane.engine.runtime;

import io.fairlane.engine.ModelInfo;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.exec.BatchInput;
import io.fairlane.engine.exec.SequenceInput;
import io.fairlane.engine.exec.SequenceOutput;
import io.fairlane.engine.exec.StepResult;
import io.fairlane.engine.kv.BlockCopy;
import io.fairlane.engine.sampling.Sampler;
import io.fairlane.engine.sampling.SamplingState;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in model for engine tests whose outputs depend on every KV slot it reads through the block tables,
 * the way attention does. Each position's "KV" is a 64-bit mix of its token, its position and the previous
 * position's KV (read back from the paged store); a position's logits are a function of the KV of every
 * position up to it. A prefix hit on the wrong block, a missed copy on write or a chunk boundary in the wrong
 * place changes the output. Sampling is the real {@link Sampler}, so seeds, temperature and logprobs behave as
 * on a real backend.
 *
 * <p>Because the KV is a pure function of the tokens, {@link #reference} can compute what a sequence must
 * produce from the plain token list, with no paging at all: the oracle for the engine tests.
 *
 * <p>Tokens render as letters ({@code id % 26}); id 0 has very low logits (tests make it EOS when they want).
 */
final class ToyModel implements StepExecutor {

    static final int VOCAB = 64;
    private static final long SEED_KV = 0x9E3779B97F4A7C15L;

    final int blockSize;
    private final long[][] store;
    final AtomicInteger steps = new AtomicInteger();
    final AtomicInteger copies = new AtomicInteger();
    /** When set, each forward step first takes a permit: lets a test hold the loop mid-request. */
    volatile Semaphore gate;
    /** One permit per forward step entered (before the gate): lets a test wait for the loop to reach a step. */
    final Semaphore stepsEntered = new Semaphore(0);
    /** When set, forward steps throw. */
    volatile boolean broken;
    /**
     * When set, {@link #submit} behaves like a device with token feedback: steps queue and run in order when awaited,
     * and a decode may take its token from what the previous step sampled.
     */
    volatile boolean feedsSampled;
    private final java.util.ArrayDeque<Queued> queued = new java.util.ArrayDeque<>();
    /** Per row of the last submitted step: whether it samples; validates sampledBy references at submission. */
    private boolean[] submittedSamples = new boolean[0];
    /** Per row of the last executed step: the sampled token, or -1. */
    private int[] executedSamples = new int[0];
    /** Steps submitted ahead (before the previous one was awaited). */
    final AtomicInteger submittedAhead = new AtomicInteger();

    private static final class Queued {
        final List<BlockCopy> copies;
        final BatchInput batch;
        StepResult result;

        Queued(List<BlockCopy> copies, BatchInput batch) {
            this.copies = copies;
            this.batch = batch;
        }
    }

    ToyModel(int numBlocks, int blockSize) {
        this.blockSize = blockSize;
        this.store = new long[numBlocks][blockSize];
    }

    static ModelInfo info(int contextLength, List<Integer> eos) {
        return new ModelInfo("toy", "llama", contextLength, VOCAB, 8, true, "cpu", "fp-toy", eos);
    }

    @Override
    public StepResult step(List<BlockCopy> blockCopies, BatchInput batch) {
        stepsEntered.release();
        Semaphore g = gate;
        if (g != null) {
            g.acquireUninterruptibly();
        }
        if (broken) {
            throw new IllegalStateException("toy model broken on purpose");
        }
        steps.incrementAndGet();
        for (BlockCopy c : blockCopies) {
            store[c.target()] = store[c.source()].clone();
            copies.incrementAndGet();
        }
        List<SequenceOutput> outputs = new ArrayList<>();
        for (SequenceInput in : batch.sequences()) {
            int[] table = in.blockTable();
            for (int i = 0; i < in.tokens().length; i++) {
                int p = in.startPosition() + i;
                long previous = p == 0 ? SEED_KV : slot(table, p - 1);
                store[table[p / blockSize]][p % blockSize] = mix(previous, in.tokens()[i], p);
            }
            int last = in.endPosition() - 1;
            outputs.add(switch (in.output()) {
                case NONE -> new SequenceOutput.Nothing();
                case LOGITS -> new SequenceOutput.Logits(logits(q -> slot(table, q), last));
                case SAMPLE -> new SequenceOutput.Sampled(Sampler.sample(logits(q -> slot(table, q), last),
                        in.sampling()));
                case HIDDEN_MEAN -> throw new UnsupportedOperationException("toy embeddings go through embed()");
            });
        }
        return new StepResult(outputs);
    }

    @Override
    public boolean feedsSampledTokens() {
        return feedsSampled;
    }

    @Override
    public io.fairlane.engine.exec.PendingStep submit(List<BlockCopy> blockCopies, BatchInput batch) {
        if (!feedsSampled) {
            return StepExecutor.super.submit(blockCopies, batch);
        }
        boolean[] samples = new boolean[batch.size()];
        for (int i = 0; i < batch.size(); i++) {
            SequenceInput in = batch.sequences().get(i);
            samples[i] = in.output() == SequenceInput.Output.SAMPLE;
            if (in.tokens()[0] < 0) {
                int row = -in.tokens()[0] - 1;
                if (in.tokens().length != 1 || row >= submittedSamples.length || !submittedSamples[row]) {
                    throw new IllegalArgumentException("sequence " + i + " takes its token from row " + row
                            + " of the previous step, which sampled nothing there");
                }
            }
        }
        if (!queued.isEmpty()) {
            submittedAhead.incrementAndGet();
        }
        submittedSamples = samples;
        Queued q = new Queued(List.copyOf(blockCopies), batch);
        queued.add(q);
        return () -> {
            while (q.result == null) {
                runQueued();
            }
            return q.result;
        };
    }

    /** Runs the oldest queued step, reading the tokens it takes from the previous step's samples. */
    private void runQueued() {
        Queued q = queued.poll();
        List<SequenceInput> resolved = new ArrayList<>();
        for (SequenceInput in : q.batch.sequences()) {
            if (in.tokens()[0] < 0) {
                int token = executedSamples[-in.tokens()[0] - 1];
                in = new SequenceInput(new int[] {token}, in.startPosition(), in.blockTable(), in.output(),
                        in.sampling());
            }
            resolved.add(in);
        }
        q.result = step(q.copies, new BatchInput(resolved));
        int[] sampled = new int[q.result.size()];
        for (int i = 0; i < sampled.length; i++) {
            sampled[i] = q.result.get(i) instanceof SequenceOutput.Sampled s ? s.tokenId() : -1;
        }
        executedSamples = sampled;
    }

    private long slot(int[] table, int position) {
        return store[table[position / blockSize]][position % blockSize];
    }

    private static long mix(long previous, int token, int position) {
        long h = previous ^ (token * 0xBF58476D1CE4E5B9L) ^ ((long) position << 32);
        h ^= h >>> 31;
        h *= 0x94D049BB133111EBL;
        return h ^ (h >>> 29);
    }

    /** Logits of the position {@code last} from the KV of positions {@code 0..last}. */
    private static float[] logits(java.util.function.IntToLongFunction kv, int last) {
        long attention = 0;
        for (int q = 0; q <= last; q++) {
            attention = attention * 31 + kv.applyAsLong(q);
        }
        float[] row = new float[VOCAB];
        for (int t = 0; t < VOCAB; t++) {
            long h = mix(attention, t, 7);
            row[t] = (float) ((h >>> 40) / (double) (1L << 24) * 6 - 3);
        }
        row[0] = -50;
        return row;
    }

    /**
     * What choice {@code choice} of a request must produce, computed from the plain token list with the real
     * sampler and no paging: the oracle. Runs {@code maxTokens} tokens (the toy never samples EOS).
     */
    static List<Integer> reference(int[] prompt, SamplingParams params, long requestSeed, int choice, int maxTokens) {
        SamplingState state = SamplingState.of(params, requestSeed, choice);
        List<Integer> tokens = new ArrayList<>();
        for (int t : prompt) {
            tokens.add(t);
        }
        List<Integer> out = new ArrayList<>();
        for (int n = 0; n < maxTokens; n++) {
            long[] kv = new long[tokens.size()];
            for (int p = 0; p < kv.length; p++) {
                kv[p] = mix(p == 0 ? SEED_KV : kv[p - 1], tokens.get(p), p);
            }
            int next = Sampler.sample(logits(q -> kv[q], kv.length - 1), state).tokenId();
            state.accept(next);
            tokens.add(next);
            out.add(next);
        }
        return out;
    }

    @Override
    public float[] embed(int[] tokens) {
        float[] v = new float[8];
        for (int i = 0; i < tokens.length; i++) {
            v[(tokens[i] + i) % 8] += 1 + tokens[i] % 3;
        }
        return v;
    }

    @Override
    public long deviceMemoryUsedBytes() {
        return 0;
    }

    @Override
    public void close() {
    }

    static TextCodec letters() {
        return new TextCodec() {
            @Override
            public IncrementalDecoder newDecoder() {
                return new IncrementalDecoder() {
                    @Override
                    public String next(int tokenId) {
                        return letter(tokenId);
                    }

                    @Override
                    public String flush() {
                        return "";
                    }
                };
            }

            @Override
            public String decode(int[] tokenIds) {
                StringBuilder sb = new StringBuilder();
                for (int id : tokenIds) {
                    sb.append(letter(id));
                }
                return sb.toString();
            }

            @Override
            public String tokenText(int tokenId) {
                return letter(tokenId);
            }

            @Override
            public byte[] tokenBytes(int tokenId) {
                return letter(tokenId).getBytes(StandardCharsets.UTF_8);
            }
        };
    }

    static String letter(int id) {
        return String.valueOf((char) ('a' + id % 26));
    }

    /** Text prompts tokenize one letter per token; token-id prompts pass through. */
    static PromptPreparer preparer() {
        return prompt -> switch (prompt) {
            case Prompt.Text t -> new PreparedPrompt(t.text().chars().map(c -> 1 + (c % (VOCAB - 1))).toArray(),
                    t.text());
            case Prompt.TokenIds ids -> new PreparedPrompt(ids.ids().clone(), letters().decode(ids.ids()));
            case Prompt.Chat chat -> throw new io.fairlane.engine.EngineException(
                    io.fairlane.engine.EngineException.Kind.INVALID_REQUEST, "toy model has no chat template",
                    "messages");
        };
    }
}
