package io.fairlane.engine.cpu;

import io.fairlane.engine.model.Model;
import io.fairlane.engine.model.ModelConfig;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The CPU forward pass over a paged KV cache, for a batch of sequences each with its own positions and block
 * table. All tokens of a step (decode tokens and prefill chunks alike) go through every matmul together, so the
 * weights stream from memory once per step whatever the batch; attention then runs per token over its own
 * sequence's blocks.
 *
 * <p>Per layer: RMSNorm → fused q/k/v projections (+ Qwen2 biases) → Qwen3 per-head q/k RMSNorm → RoPE (the
 * rotate-half pairing of Hugging Face checkpoints, i with i + headDim/2) → K/V written to the cache → causal
 * grouped-query attention (within Mistral's sliding window) → output projection + residual → RMSNorm → SwiGLU
 * MLP + residual. Matmuls and attention are split over a fixed pool of worker threads.
 *
 * <p>Not thread-safe: one step at a time, from the engine loop thread; the workers are internal.
 */
public final class CpuModelRunner implements AutoCloseable {

    private final ModelConfig config;
    private final int hidden;
    private final int qDim;
    private final int kvDim;
    private final int headDim;
    private final int inter;
    private final int vocab;
    private final float eps;
    private final double[] invFreq;
    private final float attentionScale;
    private final Arena arena = Arena.ofShared();
    private final CpuWeights weights;
    private final PagedKvStore kv;
    private final WorkerPool pool;

    /** Per worker: four widened weight rows {@code [4, widest matrix]}. */
    private final float[][] rowBufs;
    /** Per worker: a panel's outputs for a token block ({@link PanelKernels#accScratch()}). */
    private final float[][] accs;
    /** Per worker: attention's cache offsets and scores for the longest context seen. */
    private final AttentionKernels.Scratch[] attention;

    // Activations, grown to the largest step seen. T = tokens in the step.
    /** {@code [T, hidden]} the residual stream. */
    private float[] x = new float[0];
    /** {@code [T, hidden]} normalised input of a sublayer. */
    private float[] xb = new float[0];
    /** {@code [T, qDim]} queries, then rotated. */
    private float[] q = new float[0];
    /** {@code [T, kvDim]} keys of the step's tokens. */
    private float[] k = new float[0];
    /** {@code [T, kvDim]} values of the step's tokens. */
    private float[] v = new float[0];
    /** {@code [T, qDim]} attention output. */
    private float[] att = new float[0];
    /** {@code [T, hidden]} a sublayer's output before the residual add. */
    private float[] proj = new float[0];
    /** {@code [T, inter]} gate projection, then silu(gate) * up. */
    private float[] gate = new float[0];
    /** {@code [T, inter]} up projection. */
    private float[] up = new float[0];
    /**
     * {@code [rows asking for logits, vocab]}, kept from step to step: a fresh one per step cost a few percent of a
     * batch-16 decode step (at 16 × 151,936 floats it is a humongous allocation, zeroed by the collector).
     */
    private float[] logits = new float[0];
    /** {@code [T, headDim / 2]} RoPE cosines and sines of each token's position. */
    private float[] cos = new float[0];
    private float[] sin = new float[0];

    private CpuModelRunner(Model model, int blockSize, int kvBlocks, int threads) {
        this.config = model.config();
        ModelConfig c = config;
        this.hidden = c.hiddenSize();
        this.qDim = c.qDim();
        this.kvDim = c.kvDim();
        this.headDim = c.headDim();
        this.inter = c.intermediateSize();
        this.vocab = c.vocabSize();
        this.eps = (float) c.rmsNormEps();
        this.invFreq = c.ropeInverseFrequencies();
        this.attentionScale = (float) (1.0 / Math.sqrt(headDim));
        this.pool = new WorkerPool(threads, "fairlane-cpu");
        // Packing uses the pool; a failure after it started (e.g. no memory for the panels) must not leak it.
        try {
            this.weights = CpuWeights.prepare(model.weights(), arena, pool);
            this.kv = new PagedKvStore(c.layers(), kvBlocks, blockSize, kvDim);
        } catch (RuntimeException | Error e) {
            pool.close();
            arena.close();
            throw e;
        }
        this.rowBufs = new float[threads][];
        this.accs = new float[threads][];
        this.attention = new AttentionKernels.Scratch[threads];
        int widest = Math.max(Math.max(hidden, qDim), inter);
        for (int i = 0; i < threads; i++) {
            rowBufs[i] = VectorKernels.rowScratch(widest);
            accs[i] = PanelKernels.accScratch();
            attention[i] = AttentionKernels.Scratch.of(64);
        }
    }

    /**
     * Prepares {@code model} for the CPU and allocates a KV store of {@code kvBlocks} blocks.
     *
     * @param threads worker threads including the caller, at least 1
     */
    public static CpuModelRunner create(Model model, int blockSize, int kvBlocks, int threads) {
        Objects.requireNonNull(model, "model");
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, was " + threads);
        }
        return new CpuModelRunner(model, blockSize, kvBlocks, threads);
    }

    public ModelConfig config() {
        return config;
    }

    public int threads() {
        return pool.size();
    }

    public int kvBlocks() {
        return kv.blocks;
    }

    public int blockSize() {
        return kv.blockSize;
    }

    /** Bytes of the KV store. */
    public long kvBytes() {
        return kv.bytes();
    }

    /**
     * Bytes of off-heap memory holding the bf16 weights repacked into panels at load: about the size of the
     * linear layers and output matrix, 0 for f32 weights or with {@code -Dfairlane.cpu.panels=false}.
     */
    public long packedWeightBytes() {
        return weights.panelBytes();
    }

    /** Vector width in bits the kernels use. */
    public static int vectorBits() {
        return VectorKernels.F.vectorBitSize();
    }

    public void copyBlock(int source, int target) {
        kv.copyBlock(source, target);
    }

    /** Runs {@code task(i, worker)} for i in [0, count) on the worker pool (e.g. sampling a batch's rows). */
    public void parallelFor(int count, java.util.function.BiConsumer<Integer, Integer> task) {
        pool.run(count, task::accept);
    }

    /**
     * Checks a chunk against the model and this store.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public void validate(Chunk c) {
        int end = c.startPosition() + c.tokens().length;
        if (end > config.contextLength()) {
            throw new IllegalArgumentException("positions up to " + end + " exceed the context length "
                    + config.contextLength());
        }
        checkVocabulary(c.tokens());
        int needed = (end + kv.blockSize - 1) / kv.blockSize;
        if (c.blockTable().length < needed) {
            throw new IllegalArgumentException("block table has " + c.blockTable().length + " blocks but positions [0, "
                    + end + ") need " + needed);
        }
        for (int i = 0; i < needed; i++) {
            int b = c.blockTable()[i];
            if (b < 0 || b >= kv.blocks) {
                throw new IllegalArgumentException("block id " + b + " is outside [0, " + kv.blocks + ")");
            }
        }
    }

    /**
     * Runs one forward step over {@code chunks}: writes their K and V into the cache and returns, per chunk, the
     * last token's logits {@code [vocab]}, the mean final hidden state {@code [hidden]}, or null, as each asked.
     */
    public float[][] forward(List<Chunk> chunks) {
        for (int i = 0; i < chunks.size(); i++) {
            try {
                validate(chunks.get(i));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("sequence " + i + ": " + e.getMessage(), e);
            }
        }
        return run(chunks, kv);
    }

    /**
     * The mean final hidden state over {@code tokens} (positions from 0), computed in a scratch KV store so the
     * paged cache is untouched.
     */
    public float[] embed(int[] tokens) {
        int blocks = (tokens.length + kv.blockSize - 1) / kv.blockSize;
        try (PagedKvStore scratch = new PagedKvStore(config.layers(), Math.max(1, blocks), kv.blockSize, kvDim)) {
            int[] table = new int[Math.max(1, blocks)];
            for (int i = 0; i < table.length; i++) {
                table[i] = i;
            }
            Chunk c = new Chunk(tokens, 0, table, Chunk.Readout.HIDDEN_MEAN);
            validateTokens(c);
            return run(List.of(c), scratch)[0];
        }
    }

    private void validateTokens(Chunk c) {
        if (c.tokens().length > config.contextLength()) {
            throw new IllegalArgumentException(c.tokens().length + " tokens exceed the context length "
                    + config.contextLength());
        }
        checkVocabulary(c.tokens());
    }

    private void checkVocabulary(int[] tokens) {
        for (int t : tokens) {
            if (t < 0 || t >= vocab) {
                throw new IllegalArgumentException("token id " + t + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
    }

    private float[][] run(List<Chunk> chunks, PagedKvStore store) {
        int n = chunks.size();
        int total = 0;
        int maxContext = 0;
        for (Chunk c : chunks) {
            total += c.tokens().length;
            maxContext = Math.max(maxContext, c.startPosition() + c.tokens().length);
        }
        final int tokens = total;
        ensureCapacity(tokens, maxContext);
        // Per token: its chunk and position.
        int[] chunkOf = new int[tokens];
        int[] posOf = new int[tokens];
        int t = 0;
        for (int ci = 0; ci < n; ci++) {
            Chunk c = chunks.get(ci);
            for (int j = 0; j < c.tokens().length; j++) {
                chunkOf[t] = ci;
                posOf[t] = c.startPosition() + j;
                weights.embedding().row(c.tokens()[j], x, t * hidden);
                t++;
            }
        }
        ropeTables(posOf, tokens);
        for (int l = 0; l < weights.layers().size(); l++) {
            layer(l, weights.layers().get(l), chunks, chunkOf, posOf, tokens, store);
        }
        return readouts(chunks, tokens);
    }

    private void ensureCapacity(int tokens, int context) {
        if (x.length < tokens * hidden) {
            int cap = Math.max(tokens, x.length / hidden * 2);
            x = new float[cap * hidden];
            xb = new float[cap * hidden];
            q = new float[cap * qDim];
            k = new float[cap * kvDim];
            v = new float[cap * kvDim];
            att = new float[cap * qDim];
            proj = new float[cap * hidden];
            gate = new float[cap * inter];
            up = new float[cap * inter];
            cos = new float[cap * headDim / 2];
            sin = new float[cap * headDim / 2];
        }
        if (!attention[0].fits(context)) {
            for (int i = 0; i < attention.length; i++) {
                attention[i] = AttentionKernels.Scratch.of(Math.max(context, attention[i].offsets().length * 2));
            }
        }
    }

    /** cos/sin of position × inverse frequency, computed in double and rounded once. */
    private void ropeTables(int[] posOf, int tokens) {
        int half = headDim / 2;
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < half; i++) {
                double angle = posOf[t] * invFreq[i];
                cos[t * half + i] = (float) Math.cos(angle);
                sin[t * half + i] = (float) Math.sin(angle);
            }
        }
    }

    private void layer(int l, CpuWeights.Layer w, List<Chunk> chunks, int[] chunkOf, int[] posOf, int tokens,
                       PagedKvStore store) {
        rmsNorm(x, w.inputNorm(), xb, tokens, hidden);
        linear(new Matrix[] {w.q(), w.k(), w.v()}, new float[][] {q, k, v}, xb, tokens);
        int groups = config.groupSize();
        // Biases, q/k norms, RoPE, then K and V into the cache: cheap per-token work, one task per token.
        pool.run(tokens, (t, worker) -> {
            if (w.qBias() != null) {
                addBias(q, t * qDim, w.qBias());
                addBias(k, t * kvDim, w.kBias());
                addBias(v, t * kvDim, w.vBias());
            }
            for (int h = 0; h < config.heads(); h++) {
                int off = t * qDim + h * headDim;
                if (w.qNorm() != null) {
                    rmsNormInPlace(q, off, w.qNorm(), headDim);
                }
                rope(q, off, t);
            }
            for (int h = 0; h < config.kvHeads(); h++) {
                int off = t * kvDim + h * headDim;
                if (w.kNorm() != null) {
                    rmsNormInPlace(k, off, w.kNorm(), headDim);
                }
                rope(k, off, t);
            }
            Chunk c = chunks.get(chunkOf[t]);
            long slot = store.offset(c.blockTable(), posOf[t]);
            VectorKernels.storeKv(k, t * kvDim, store.k[l], slot, kvDim);
            VectorKernels.storeKv(v, t * kvDim, store.v[l], slot, kvDim);
        });
        // Attention: one task per (token, query head).
        int heads = config.heads();
        int window = config.slidingWindow();
        MemorySegment kl = store.k[l];
        MemorySegment vl = store.v[l];
        pool.run(tokens * heads, (task, worker) -> {
            int t = task / heads;
            int h = task % heads;
            int p = posOf[t];
            int start = window > 0 ? Math.max(0, p - window + 1) : 0;
            int qo = t * qDim + h * headDim;
            AttentionKernels.attend(q, qo, kl, vl, store, chunks.get(chunkOf[t]).blockTable(),
                    (long) (h / groups) * headDim, start, p, headDim, attentionScale, attention[worker], att, qo);
        });
        linear(new Matrix[] {w.o()}, new float[][] {proj}, att, tokens);
        residual(w.oBias(), tokens);
        rmsNorm(x, w.postNorm(), xb, tokens, hidden);
        swiGlu(w, tokens);
        linear(new Matrix[] {w.down()}, new float[][] {proj}, gate, tokens);
        residual(null, tokens);
    }

    /** {@code x += proj (+ bias)}: the residual add of a sublayer's output. */
    private void residual(float[] bias, int tokens) {
        VectorMath.addInPlace(x, proj, bias, tokens * hidden);
    }

    private static void addBias(float[] a, int off, float[] bias) {
        for (int i = 0; i < bias.length; i++) {
            a[off + i] += bias[i];
        }
    }

    /** Rotate-half RoPE of one head at {@code a[off, off + headDim)} for token {@code t}. */
    private void rope(float[] a, int off, int t) {
        int half = headDim / 2;
        int co = t * half;
        for (int i = 0; i < half; i++) {
            float x0 = a[off + i];
            float x1 = a[off + i + half];
            float c = cos[co + i];
            float s = sin[co + i];
            a[off + i] = x0 * c - x1 * s;
            a[off + i + half] = x1 * c + x0 * s;
        }
    }

    /** {@code out[t] = x[t] / rms(x[t]) * w} for each of {@code tokens} rows of width {@code n}. */
    private void rmsNorm(float[] in, float[] w, float[] out, int tokens, int n) {
        for (int t = 0; t < tokens; t++) {
            VectorMath.rmsNorm(in, t * n, w, out, t * n, n, eps);
        }
    }

    private void rmsNormInPlace(float[] a, int off, float[] w, int n) {
        VectorMath.rmsNorm(a, off, w, a, off, n, eps);
    }

    /**
     * {@code outs[m] = in · ws[m]^T} for every matrix, rows of all matrices split over the workers in slices of a
     * multiple of {@link #SLICE_ALIGN} rows.
     */
    private void linear(Matrix[] ws, float[][] outs, float[] in, int tokens) {
        int threads = pool.size();
        int totalRows = 0;
        for (Matrix m : ws) {
            totalRows += m.rows;
        }
        int slice = slice(totalRows, threads);
        List<int[]> tasks = new ArrayList<>();
        for (int m = 0; m < ws.length; m++) {
            for (int r = 0; r < ws[m].rows; r += slice) {
                tasks.add(new int[] {m, r, Math.min(ws[m].rows, r + slice)});
            }
        }
        pool.run(tasks.size(), (i, worker) -> {
            int[] task = tasks.get(i);
            Matrix w = ws[task[0]];
            VectorKernels.matmul(w, in, tokens, outs[task[0]], w.rows, 0, task[1], task[2], rowBufs[worker], accs[worker]);
        });
    }

    /**
     * Row slices start at multiples of this: whole {@link PanelKernels} panels, in pairs for the decode kernel,
     * which are also whole groups of four rows (the row-major tiles' unit).
     */
    private static final int SLICE_ALIGN = 4 * PanelKernels.P;

    /** About eight slices per worker, so a descheduled worker's share is picked up by the others. */
    private static int slice(int rows, int threads) {
        int target = (rows + threads * 8 - 1) / (threads * 8);
        return Math.max(SLICE_ALIGN, (target + SLICE_ALIGN - 1) / SLICE_ALIGN * SLICE_ALIGN);
    }

    /** {@code gate = silu(xb · Wgate^T) * (xb · Wup^T)}, gate and up rows computed together per slice. */
    private void swiGlu(CpuWeights.Layer w, int tokens) {
        int threads = pool.size();
        int slice = slice(inter, threads);
        int tasks = (inter + slice - 1) / slice;
        pool.run(tasks, (i, worker) -> {
            int r0 = i * slice;
            int r1 = Math.min(inter, r0 + slice);
            VectorKernels.matmul(w.gate(), xb, tokens, gate, inter, 0, r0, r1, rowBufs[worker],
                    accs[worker]);
            VectorKernels.matmul(w.up(), xb, tokens, up, inter, 0, r0, r1, rowBufs[worker], accs[worker]);
            for (int t = 0; t < tokens; t++) {
                VectorMath.swiGlu(gate, up, t * inter + r0, t * inter + r1);
            }
        });
    }

    private float[][] readouts(List<Chunk> chunks, int tokens) {
        float[][] out = new float[chunks.size()][];
        int[] lastToken = new int[chunks.size()];
        int t = 0;
        int logitRows = 0;
        for (int ci = 0; ci < chunks.size(); ci++) {
            Chunk c = chunks.get(ci);
            t += c.tokens().length;
            lastToken[ci] = t - 1;
            if (c.readout() == Chunk.Readout.LOGITS) {
                logitRows++;
            }
        }
        // Final norm of every token (cheap next to the output matmul, which runs only for the rows asked).
        rmsNorm(x, weights.finalNorm(), xb, tokens, hidden);
        if (logitRows > 0) {
            float[] rows = new float[logitRows * hidden];
            int r = 0;
            for (int ci = 0; ci < chunks.size(); ci++) {
                if (chunks.get(ci).readout() == Chunk.Readout.LOGITS) {
                    System.arraycopy(xb, lastToken[ci] * hidden, rows, r * hidden, hidden);
                    r++;
                }
            }
            if (logits.length < logitRows * vocab) {
                logits = new float[logitRows * vocab];
            }
            float[] logits = this.logits;
            int threads = pool.size();
            int slice = slice(vocab, threads);
            int rowsCount = logitRows;
            pool.run((vocab + slice - 1) / slice, (i, worker) -> VectorKernels.matmul(weights.output(), rows, rowsCount, logits,
                    vocab, 0, i * slice, Math.min(vocab, i * slice + slice), rowBufs[worker],
                    accs[worker]));
            r = 0;
            for (int ci = 0; ci < chunks.size(); ci++) {
                if (chunks.get(ci).readout() == Chunk.Readout.LOGITS) {
                    out[ci] = java.util.Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab);
                    r++;
                }
            }
        }
        for (int ci = 0; ci < chunks.size(); ci++) {
            Chunk c = chunks.get(ci);
            if (c.readout() != Chunk.Readout.HIDDEN_MEAN) {
                continue;
            }
            int len = c.tokens().length;
            int first = lastToken[ci] - len + 1;
            double[] sum = new double[hidden];
            for (int j = first; j <= lastToken[ci]; j++) {
                for (int i = 0; i < hidden; i++) {
                    sum[i] += xb[j * hidden + i];
                }
            }
            float[] mean = new float[hidden];
            for (int i = 0; i < hidden; i++) {
                mean[i] = (float) (sum[i] / len);
            }
            out[ci] = mean;
        }
        return out;
    }

    @Override
    public void close() {
        pool.close();
        kv.close();
        arena.close();
    }

    @Override
    public String toString() {
        return "CpuModelRunner[" + config.family().modelType() + ", " + pool.size() + " threads, " + kv.blocks
                + " KV blocks of " + kv.blockSize + "]";
    }
}
