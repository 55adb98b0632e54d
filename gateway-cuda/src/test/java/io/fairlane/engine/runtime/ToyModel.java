package io.fairlane.engine.runtime;

import io.fairlane.engine.ModelInfo;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.kv.BlockCopy;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in model for engine tests whose outputs depend on every KV slot it reads through the block tables,
 * the way attention does. Each position's "KV" is a 64-bit mix of its token, its position and the previous
 * position's KV (read back from the paged store); the logits of a position peak at a token derived from the
 * KV of every position up to it. A prefix hit on the wrong block, a missed copy on write or a chunk boundary
 * in the wrong place changes the greedy output.
 *
 * <p>Tokens render as letters ({@code id % 26}); ids start at 1 (0 is reserved for EOS tests).
 */
final class ToyModel implements StepExecutor {

    static final int VOCAB = 64;

    final int blockSize;
    private final long[][] store;
    final AtomicInteger steps = new AtomicInteger();
    final AtomicInteger copies = new AtomicInteger();
    /** When set, each forward step first takes a permit: lets a test hold the loop mid-request. */
    volatile Semaphore gate;
    /** When set, forward steps throw. */
    volatile boolean broken;

    ToyModel(int numBlocks, int blockSize) {
        this.blockSize = blockSize;
        this.store = new long[numBlocks][blockSize];
    }

    static ModelInfo info(int contextLength, List<Integer> eos) {
        return new ModelInfo("toy", "llama", contextLength, VOCAB, 8, true, "cpu", "fp-toy", eos);
    }

    @Override
    public float[][] forward(List<BlockCopy> blockCopies, List<SequenceChunk> chunks) {
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
        int sampled = (int) chunks.stream().filter(SequenceChunk::sample).count();
        float[][] logits = new float[sampled][];
        int row = 0;
        for (SequenceChunk chunk : chunks) {
            int[] table = chunk.blockTable();
            for (int i = 0; i < chunk.tokens().length; i++) {
                int p = chunk.startPosition() + i;
                long previous = p == 0 ? 0x9E3779B97F4A7C15L : slot(table, p - 1);
                store[table[p / blockSize]][p % blockSize] = mix(previous, chunk.tokens()[i], p);
            }
            if (chunk.sample()) {
                int last = chunk.startPosition() + chunk.tokens().length - 1;
                long attention = 0;
                for (int q = 0; q <= last; q++) {
                    attention = attention * 31 + slot(table, q);
                }
                float[] row0 = new float[VOCAB];
                row0[1 + (int) Math.floorMod(attention ^ (attention >>> 29), (long) (VOCAB - 1))] = 1f;
                logits[row++] = row0;
            }
        }
        return logits;
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

    @Override
    public float[] embed(int[] tokens) {
        float[] v = new float[8];
        for (int i = 0; i < tokens.length; i++) {
            v[(tokens[i] + i) % 8] += 1 + tokens[i] % 3;
        }
        return v;
    }

    @Override
    public void close() {
    }

    /**
     * Argmax over the toy logits, shifted by {@code seed + choice}: deterministic like greedy decoding, yet the
     * choices of one request diverge (so a missed copy on write shows), and choice {@code i} of a request with
     * seed {@code s} reproduces choice 0 of a request with seed {@code s + i}.
     */
    static SamplerFactory greedy() {
        return (params, choice) -> (logits, history, promptLength) -> {
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            long shift = params.seed().orElse(0) + choice;
            return new SampledToken(1 + (int) Math.floorMod(best - 1 + shift, (long) (VOCAB - 1)), null);
        };
    }

    static TextCodec letters() {
        return new TextCodec() {
            @Override
            public IncrementalDecoder newDecoder(int[] promptTokens) {
                return new IncrementalDecoder() {
                    @Override
                    public String next(int tokenId) {
                        return letter(tokenId);
                    }

                    @Override
                    public String finish() {
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
