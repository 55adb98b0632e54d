package io.fairlane.engine.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs forward steps of one model on one device: a batch of sequences, each feeding one token (decode) or a
 * chunk (prefill) with its own positions and KV block table, through every layer, then on-device sampling, so a
 * step returns only token ids and a few floats per sequence (full logits and pooled hidden states on request).
 *
 * <h2>A step</h2>
 * <pre>
 *  embed_tokens                      residual (f32) [T, H]
 *  per layer:
 *    rmsnorm_residual (+ previous MLP output)      normed [T, H]
 *    GEMM qkv                                      wide [T, (Hq + 2 Hkv) D]
 *    qkv_prepare: bias, q/k norm, RoPE, K/V -> pages, q [T, Hq, D]
 *    paged_decode + decode_reduce (one-token sequences), prefill_attention (chunks)   attn [T, Hq, D]
 *    GEMM o_proj                                   delta [T, H]
 *    rmsnorm_residual (+ attention output)         normed
 *    GEMM gate_up, silu_mul, GEMM down             delta
 *  final rmsnorm of the rows that need logits, GEMM lm_head (f32 logits), logit adjustments, sample_tokens
 * </pre>
 * All per-step integers (tokens, positions, slots, block tables, attention work lists, sampling parameters) are
 * packed on the host into one pinned buffer and sent in one copy; outputs come back in one copy; the host waits on
 * one event. Nothing else synchronises. {@link StepBatch} validates a step and describes it for the device,
 * {@link StepInputLayout} packs that buffer, and {@link RunnerFootprint} sizes every buffer the runner allocates
 * (the memory plan charges the same sums).
 *
 * <h2>Decode through CUDA graphs</h2>
 * A step made only of one-token sequences that sample is replayed from a captured graph, keyed by the batch size
 * rounded up to a bucket and the block-table width rounded up to a power of two. Graph inputs live at fixed device
 * addresses and are refreshed by the one input copy; padding rows have slot -1 and context 0, so they write no KV
 * and attend to nothing. Logit adjustments and sampling run after the replay (their sizes vary per step).
 *
 * <h2>Overlap</h2>
 * {@link #submit} returns once the step is queued; {@link Pending#await} waits for it. Host staging is double
 * buffered, so the engine may build and submit step N + 1 while step N runs, and a decode token may be given as
 * "the id step N sampled for row r" (see {@link StepSequence#tokens()}), read on the device.
 *
 * <p>Threading: confined to the engine loop thread, like the device it runs on.
 */
public final class CudaModelRunner implements AutoCloseable {

    /** Most alternatives per position (OpenAI's top_logprobs limit). */
    public static final int MAX_TOP_LOGPROBS = 20;

    private final DeviceRuntime device;
    private final Kernels kernels;
    private final Gemm gemm;
    private final CudaModelSpec spec;
    private final DeviceWeights weights;
    private final DeviceKvCache kv;
    private final int maxTokens;
    private final int maxSequences;
    private final int maxBlocksPerSequence;
    private final boolean graphsEnabled;
    private final Arena arena = Arena.ofShared();

    // activations
    private final long residual;
    private final long normed;
    private final long wide;
    private final long q;
    private final long attn;
    private final long delta;
    private final long act;
    private final long logitsIn;
    private final long logits;
    private final long pooledOut;
    private final long partOut;
    private final long partMl;
    private final int splitSlots;
    private final long invFreq;
    // per-step inputs and outputs
    private long input;
    private long inputCapacity;
    private final MemorySegment[] inputStaging = new MemorySegment[2];
    private final long output;
    private final MemorySegment[] outputStaging = new MemorySegment[2];
    private final Pending[] slotPending = new Pending[2];
    private final MemorySegment[] graphStaging = new MemorySegment[2];
    private int slot;
    private final MemorySegment[] logitsStaging = new MemorySegment[2];
    private final MemorySegment[] pooledStaging = new MemorySegment[2];
    private long pairs;
    private MemorySegment pairsStaging;
    // graphs
    private final long graphInput;
    private final int graphMaxStride;
    private final Map<Long, DeviceRuntime.DeviceGraph> graphs = new HashMap<>();
    private long graphReplays;
    private boolean closed;

    /**
     * @param maxTokens      tokens per step (decodes plus prefill chunks)
     * @param maxSequences   sequences per step
     * @param graphs         whether to capture decode steps into CUDA graphs (when the device can)
     */
    CudaModelRunner(DeviceRuntime device, Gemm gemm, CudaModelSpec spec, DeviceWeights weights, DeviceKvCache kv,
                    int maxTokens, int maxSequences, boolean graphs) {
        this.device = Objects.requireNonNull(device, "device");
        this.gemm = Objects.requireNonNull(gemm, "gemm");
        this.spec = Objects.requireNonNull(spec, "spec");
        this.weights = Objects.requireNonNull(weights, "weights");
        this.kv = Objects.requireNonNull(kv, "kv");
        if (maxTokens <= 0 || maxSequences <= 0) {
            throw new IllegalArgumentException("maxTokens and maxSequences must be > 0");
        }
        this.maxTokens = maxTokens;
        this.maxSequences = maxSequences;
        RunnerFootprint size = new RunnerFootprint(spec, maxTokens, maxSequences, kv.blockSize());
        this.maxBlocksPerSequence = size.maxBlocksPerSequence();
        this.graphsEnabled = graphs && device.supportsGraphs();
        this.kernels = new Kernels(device, arena);
        residual = device.allocate(size.residual(), "residual stream");
        normed = device.allocate(size.hiddenRows(), "normed activations");
        wide = device.allocate(size.wide(), "qkv / gate_up");
        q = device.allocate(size.attentionRows(), "queries");
        attn = device.allocate(size.attentionRows(), "attention output");
        delta = device.allocate(size.hiddenRows(), "layer outputs");
        act = device.allocate(size.mlp(), "MLP activations");
        logitsIn = device.allocate(size.finalRows(), "final hidden rows");
        logits = device.allocate(size.logits(), "logits");
        pooledOut = device.allocate(size.pooled(), "pooled hidden states");
        splitSlots = size.splitSlots(kv.numBlocks());
        partOut = device.allocate(4L * splitSlots * spec.heads() * spec.headDim(), "decode partials");
        partMl = device.allocate(8L * splitSlots * spec.heads(), "decode partial statistics");
        invFreq = device.allocate(4L * spec.headDim() / 2, "rope frequencies");
        MemorySegment freq = device.allocateHost(4L * spec.headDim() / 2);
        MemorySegment.copy(spec.ropeInverseFrequencies(), 0, freq, ValueLayout.JAVA_FLOAT, 0, spec.headDim() / 2);
        device.copyToDevice(invFreq, freq, 4L * spec.headDim() / 2);
        inputCapacity = size.stepInputs();
        input = device.allocate(inputCapacity, "step inputs");
        for (int i = 0; i < 2; i++) {
            inputStaging[i] = device.allocateHost(inputCapacity);
            outputStaging[i] = device.allocateHost(size.stepOutputs());
        }
        output = device.allocate(size.stepOutputs(), "step outputs");
        graphMaxStride = size.graphMaxStride();
        long graphBytes = size.graphInputs(graphMaxStride);
        graphInput = graphsEnabled ? device.allocate(graphBytes, "graph inputs") : 0;
        if (graphsEnabled) {
            for (int i = 0; i < 2; i++) {
                graphStaging[i] = device.allocateHost(graphBytes);
            }
        }
        device.synchronize();
    }

    public CudaModelSpec spec() {
        return spec;
    }

    public int maxTokens() {
        return maxTokens;
    }

    public int maxSequences() {
        return maxSequences;
    }

    /** Decode steps replayed from captured graphs so far. */
    public long graphReplays() {
        return graphReplays;
    }

    /** Captured decode graphs held. */
    public int capturedGraphs() {
        return graphs.size();
    }

    /** Runs one step and waits for it. */
    public StepResult step(List<StepSequence> sequences) {
        return submit(sequences).await();
    }

    /** A step queued on the device. */
    public final class Pending {
        private final List<StepSequence> sequences;
        private final int stagingSlot;
        private final int[] sampleRow;      // per sequence: its logits row, or -1
        private final int[] pooledRow;      // per sequence: its pooled row, or -1
        private final DeviceRuntime.DeviceEvent done;
        private StepResult result;

        Pending(List<StepSequence> sequences, int stagingSlot, int[] sampleRow, int[] pooledRow,
                DeviceRuntime.DeviceEvent done) {
            this.sequences = sequences;
            this.stagingSlot = stagingSlot;
            this.sampleRow = sampleRow;
            this.pooledRow = pooledRow;
            this.done = done;
        }

        /**
         * The row whose sampled id a later step's token {@code -(row + 1)} reads, for a sequence of this step with
         * output {@code SAMPLE}; -1 for any other sequence.
         */
        public int sampledRow(int sequence) {
            return sequences.get(sequence).output() == StepSequence.Output.SAMPLE ? sampleRow[sequence] : -1;
        }

        /** Whether the device finished this step (never blocks). */
        public boolean isDone() {
            return result != null || done.done();
        }

        /** Waits for the step and returns its outputs. */
        public StepResult await() {
            if (result == null) {
                done.await();
                result = unpack(this);
                done.close();
            }
            return result;
        }
    }

    /**
     * Queues a step. Validates every sequence first (token ids, positions against the context length, block
     * tables against the pool); a bad batch throws {@link IllegalArgumentException} and nothing is launched.
     */
    public Pending submit(List<StepSequence> sequences) {
        return submit(sequences, kv);
    }

    private Pending submit(List<StepSequence> sequences, DeviceKvCache cache) {
        ensureOpen();
        Objects.requireNonNull(sequences, "sequences");
        StepBatch b = StepBatch.of(sequences, spec, cache, maxTokens, maxSequences);
        // A staging slot is reused two submissions later: collect that step first, so its outputs are read
        // before this step's copies overwrite them.
        int s = slot;
        slot ^= 1;
        if (slotPending[s] != null) {
            slotPending[s].await();
            slotPending[s] = null;
        }
        boolean graph = graphsEnabled && cache == kv && b.isPureSampledDecode()
                && b.sequences() <= Math.min(maxSequences, RunnerFootprint.GRAPH_MAX_SEQUENCES);
        if (graph) {
            runGraphDecode(b, s);
        } else {
            runEager(b, s, cache);
        }
        Pending pending = new Pending(sequences, s, b.sampleRow, b.pooledRow, device.record());
        slotPending[s] = pending;
        return pending;
    }

    // -------------------------------------------------------------------------------------------------------
    // eager path
    // -------------------------------------------------------------------------------------------------------

    private void runEager(StepBatch b, int s, DeviceKvCache cache) {
        StepInputLayout in = StepInputLayout.layout(b, spec);
        ensureInputCapacity(in.bytes);
        MemorySegment host = inputStaging[s];
        in.write(host, b);
        device.copyToDevice(input, host, in.bytes);
        long at = input;
        forward(cache, b.tokens(), at + in.tokens, at + in.positions, at + in.slots, b.decodeCount, at + in.decRows,
                at + in.decCtx, at + in.decSplits, at + in.decTables, b.maxDecodeSplits, b.prefillCount, at + in.preStart,
                at + in.preLen, at + in.preCtx, at + in.preTables, at + in.tiles, b.tileCount, b.stride);
        long rowsPtr = at + in.logitRows;
        if (b.logitRowCount > 0) {
            kernels.rmsnorm(residual, delta, 0, weights.finalNorm(), logitsIn, rowsPtr, b.logitRowCount,
                    spec.hiddenSize(), spec.rmsNormEps(), false);
            gemm.matmul(logitsIn, weights.lmHead(), logits, b.logitRowCount, spec.vocabSize(), spec.hiddenSize(), true);
        }
        if (b.pooledCount > 0) {
            kernels.rmsnorm(residual, delta, 0, weights.finalNorm(), normed, 0, b.tokens(), spec.hiddenSize(),
                    spec.rmsNormEps(), false);
            kernels.meanPool(normed, at + in.poolRanges, pooledOut, b.pooledCount, spec.hiddenSize());
        }
        sampleAndCopyOut(b, at + in.adjRows, at + in.adjTokens, at + in.adjDeltas, at + in.params, s);
    }

    /** Embedding through the last layer's MLP; leaves the residual stream and the last MLP output in delta. */
    private void forward(DeviceKvCache kv, int tokens, long tokenIds, long positions, long slots, int decodeCount,
                         long decRows,
                         long decCtx, long decSplits, long decTables, int maxDecodeSplits, int prefillCount,
                         long preStart, long preLen, long preCtx, long preTables, long tiles, int tileCount,
                         int stride) {
        int h = spec.hiddenSize();
        kernels.embedTokens(tokenIds, output, weights.embedding(), residual, tokens, h, spec.vocabSize());
        float eps = spec.rmsNormEps();
        for (int l = 0; l < spec.layers(); l++) {
            DeviceWeights.Layer w = weights.layer(l);
            kernels.rmsnorm(residual, l == 0 ? 0 : delta, 0, w.inputNorm(), normed, 0, tokens, h, eps, l > 0);
            gemm.matmul(normed, w.qkv(), wide, tokens, spec.qkvWidth(), h, false);
            kernels.qkvPrepare(wide, w.qkvBias(), w.qNorm(), w.kNorm(), eps, positions, invFreq,
                    spec.ropeInterleaved(), q, kv.keys(l), kv.values(l), slots, tokens, spec.heads(), spec.kvHeads(),
                    spec.headDim());
            if (decodeCount > 0) {
                kernels.pagedDecode(q, kv.keys(l), kv.values(l), decRows, decCtx, decTables, stride, kv.blockSize(),
                        spec.heads(), spec.kvHeads(), spec.headDim(), spec.attentionScale(), spec.slidingWindow(),
                        decSplits, partOut, partMl, decodeCount, maxDecodeSplits);
                kernels.decodeReduce(partOut, partMl, decRows, decCtx, decSplits, attn, decodeCount, spec.heads(),
                        spec.headDim());
            }
            if (prefillCount > 0) {
                kernels.prefillAttention(q, kv.keys(l), kv.values(l), tiles, tileCount, preStart, preLen, preCtx,
                        preTables, stride, kv.blockSize(), spec.heads(), spec.kvHeads(), spec.headDim(),
                        spec.attentionScale(), spec.slidingWindow(), attn);
            }
            gemm.matmul(attn, w.outProj(), delta, tokens, h, spec.attentionWidth(), false);
            kernels.rmsnorm(residual, delta, w.outProjBias(), w.postNorm(), normed, 0, tokens, h, eps, true);
            gemm.matmul(normed, w.gateUp(), wide, tokens, 2 * spec.intermediateSize(), h, false);
            kernels.siluMul(wide, act, tokens, spec.intermediateSize());
            gemm.matmul(act, w.down(), delta, tokens, h, spec.intermediateSize(), false);
        }
    }

    private void sampleAndCopyOut(StepBatch b, long adjRows, long adjTokens, long adjDeltas, long params, int s) {
        int rows = b.sampleRows;
        if (b.adjustCount > 0) {
            kernels.addSparse(logits, spec.vocabSize(), adjRows, adjTokens, adjDeltas, b.adjustCount);
        }
        if (rows > 0) {
            long outTokens = output;
            long outLp = output + 4L * maxSequences;
            long topIds = output + 8L * maxSequences;
            long topLp = topIds + 4L * maxSequences * MAX_TOP_LOGPROBS;
            kernels.sample(logits, spec.vocabSize(), params, outTokens, outLp, topIds, topLp, MAX_TOP_LOGPROBS, rows);
            MemorySegment host = outputStaging[s];
            device.copyToHost(host, outTokens, 8L * maxSequences);
            if (b.anyTopLogprobs) {
                device.copyToHost(host.asSlice(8L * maxSequences), topIds, 8L * maxSequences * MAX_TOP_LOGPROBS);
            }
        }
        if (b.logitsCopies > 0) {
            if (logitsStaging[s] == null) {
                logitsStaging[s] = device.allocateHost(4L * maxSequences * spec.vocabSize());
            }
            device.copyToHost(logitsStaging[s], logits, 4L * b.logitRowCount * spec.vocabSize());
        }
        if (b.pooledCount > 0) {
            if (pooledStaging[s] == null) {
                pooledStaging[s] = device.allocateHost(4L * maxSequences * spec.hiddenSize());
            }
            device.copyToHost(pooledStaging[s], pooledOut, 4L * b.pooledCount * spec.hiddenSize());
        }
    }

    private StepResult unpack(Pending p) {
        StepResult r = new StepResult(p.sequences.size());
        MemorySegment host = outputStaging[p.stagingSlot];
        for (int i = 0; i < p.sequences.size(); i++) {
            StepSequence seq = p.sequences.get(i);
            int row = p.sampleRow[i];
            switch (seq.output()) {
                case SAMPLE -> {
                    int token = host.getAtIndex(ValueLayout.JAVA_INT, row);
                    float lp = host.getAtIndex(ValueLayout.JAVA_FLOAT, maxSequences + row);
                    int n = seq.sampling().logprobs();
                    r.setToken(i, token, n >= 0 ? lp : Float.NaN);
                    if (n > 0) {
                        int[] ids = new int[n];
                        float[] lps = new float[n];
                        long idBase = 2L * maxSequences + (long) row * MAX_TOP_LOGPROBS;
                        long lpBase = 2L * maxSequences + (long) maxSequences * MAX_TOP_LOGPROBS
                                + (long) row * MAX_TOP_LOGPROBS;
                        for (int k = 0; k < n; k++) {
                            ids[k] = host.getAtIndex(ValueLayout.JAVA_INT, idBase + k);
                            lps[k] = host.getAtIndex(ValueLayout.JAVA_FLOAT, lpBase + k);
                        }
                        r.setTop(i, ids, lps);
                    }
                }
                case LOGITS -> {
                    float[] values = new float[spec.vocabSize()];
                    MemorySegment.copy(logitsStaging[p.stagingSlot], ValueLayout.JAVA_FLOAT,
                            4L * row * spec.vocabSize(), values, 0, values.length);
                    r.setLogits(i, values);
                }
                case HIDDEN_MEAN -> {
                    float[] values = new float[spec.hiddenSize()];
                    MemorySegment.copy(pooledStaging[p.stagingSlot], ValueLayout.JAVA_FLOAT,
                            4L * p.pooledRow[i] * spec.hiddenSize(), values, 0, values.length);
                    r.setPooled(i, values);
                }
                case NONE -> {
                }
            }
        }
        return r;
    }

    // -------------------------------------------------------------------------------------------------------
    // graph path
    // -------------------------------------------------------------------------------------------------------

    private void runGraphDecode(StepBatch b, int s) {
        int bucket = Math.min(RunnerFootprint.graphBucket(b.sequences()),
                Math.min(maxSequences, RunnerFootprint.GRAPH_MAX_SEQUENCES));
        int stride = Math.min(RunnerFootprint.strideBucket(b.stride), graphMaxStride);
        int maxSplits = (stride * kv.blockSize() + Kernels.DECODE_PART - 1) / Kernels.DECODE_PART;
        // fixed layout: tokens, positions, slots, rows, ctx, splits [bucket] each, then tables [bucket * stride]
        long tokens = graphInput;
        long positions = tokens + 4L * bucket;
        long slots = positions + 4L * bucket;
        long rows = slots + 4L * bucket;
        long ctx = rows + 4L * bucket;
        long splits = ctx + 4L * bucket;
        long tables = splits + 4L * bucket;
        long bytes = 4L * bucket * (6 + stride);
        MemorySegment host = graphStaging[s];
        b.writeGraphInputs(host, bucket, stride);
        // sampling inputs (sizes vary per step) go through the ordinary input buffer
        StepInputLayout in = StepInputLayout.layout(b, spec);
        ensureInputCapacity(in.bytes);
        MemorySegment samplingHost = inputStaging[s];
        in.writeSamplingOnly(samplingHost, b);
        device.copyToDevice(graphInput, host, bytes);
        device.copyToDevice(input, samplingHost, in.bytes);
        long key = ((long) bucket << 32) | stride;
        DeviceRuntime.DeviceGraph graph = graphs.get(key);
        if (graph == null) {
            device.beginCapture();
            try {
                forward(kv, bucket, tokens, positions, slots, bucket, rows, ctx, splits, tables, maxSplits, 0, 0, 0, 0, 0,
                        0, 0, stride);
                kernels.rmsnorm(residual, delta, 0, weights.finalNorm(), logitsIn, 0, bucket, spec.hiddenSize(),
                        spec.rmsNormEps(), false);
                gemm.matmul(logitsIn, weights.lmHead(), logits, bucket, spec.vocabSize(), spec.hiddenSize(), true);
            } finally {
                graph = device.endCapture();
            }
            graphs.put(key, graph);
        }
        graph.launch();
        graphReplays++;
        sampleAndCopyOut(b, input + in.adjRows, input + in.adjTokens, input + in.adjDeltas, input + in.params, s);
    }

    // -------------------------------------------------------------------------------------------------------
    // embeddings
    // -------------------------------------------------------------------------------------------------------

    private DeviceKvCache embedScratch;

    /**
     * The mean over {@code tokens} of the final normalised hidden state, not normalised, computed in chunks of
     * {@link #maxTokens()} against a scratch KV cache of its own: the paged pool is not touched.
     */
    public float[] embed(int[] tokens) {
        ensureOpen();
        Objects.requireNonNull(tokens, "tokens");
        if (tokens.length == 0 || tokens.length > spec.contextLength()) {
            throw new IllegalArgumentException("an embedding input needs 1 to " + spec.contextLength()
                    + " tokens, has " + tokens.length);
        }
        int bs = kv.blockSize();
        int blocks = (tokens.length + bs - 1) / bs;
        DeviceKvCache cache;
        boolean temporary = false;
        if (blocks * bs <= RunnerFootprint.EMBED_SCRATCH_TOKENS) {
            if (embedScratch == null) {
                int scratchBlocks = (Math.min(spec.contextLength(), RunnerFootprint.EMBED_SCRATCH_TOKENS) + bs - 1) / bs;
                embedScratch = new DeviceKvCache(device, spec, scratchBlocks, bs);
            }
            cache = embedScratch;
        } else {
            cache = new DeviceKvCache(device, spec, blocks, bs);
            temporary = true;
        }
        try {
            int[] table = new int[blocks];
            for (int i = 0; i < blocks; i++) {
                table[i] = i;
            }
            double[] sum = new double[spec.hiddenSize()];
            for (int at = 0; at < tokens.length; at += maxTokens) {
                int n = Math.min(maxTokens, tokens.length - at);
                int[] chunk = java.util.Arrays.copyOfRange(tokens, at, at + n);
                float[] mean = submit(List.of(new StepSequence(chunk, at, table, StepSequence.Output.HIDDEN_MEAN, null,
                        null, null)), cache).await().pooled(0);
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += (double) mean[i] * n;
                }
            }
            float[] out = new float[sum.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) (sum[i] / tokens.length);
            }
            return out;
        } finally {
            if (temporary) {
                device.synchronize();
                cache.close();
            }
        }
    }

    // -------------------------------------------------------------------------------------------------------

    /** Copies whole KV blocks (all layers, K and V): block pairs[2i + 1] := block pairs[2i]. */
    public void copyBlocks(int[] pairs) {
        ensureOpen();
        Objects.requireNonNull(pairs, "pairs");
        if (pairs.length % 2 != 0) {
            throw new IllegalArgumentException("pairs must hold (source, destination) pairs");
        }
        if (pairs.length == 0) {
            return;
        }
        for (int b : pairs) {
            if (b < 0 || b >= kv.numBlocks()) {
                throw new IllegalArgumentException("block id " + b + " outside the pool of " + kv.numBlocks());
            }
        }
        if (pairsStaging == null || pairsStaging.byteSize() < 4L * pairs.length) {
            if (this.pairs != 0) {
                device.free(this.pairs);
            }
            int capacity = Math.max(256, Integer.highestOneBit(pairs.length) << 1);
            this.pairs = device.allocate(4L * capacity, "block copy pairs");
            pairsStaging = device.allocateHost(4L * capacity);
        }
        device.synchronize();  // the staging buffer may still feed a previous copy
        MemorySegment.copy(pairs, 0, pairsStaging, ValueLayout.JAVA_INT, 0, pairs.length);
        device.copyToDevice(this.pairs, pairsStaging, 4L * pairs.length);
        kernels.copyKvBlocks(kv.base(), this.pairs, pairs.length / 2, kv.layers(), kv.numBlocks(), kv.blockElements());
    }

    private void ensureInputCapacity(long bytes) {
        if (bytes <= inputCapacity) {
            return;
        }
        long capacity = Long.highestOneBit(bytes) << 1;
        device.synchronize();
        device.free(input);
        input = device.allocate(capacity, "step inputs");
        for (int i = 0; i < 2; i++) {
            inputStaging[i] = device.allocateHost(capacity);
        }
        inputCapacity = capacity;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the CUDA model runner is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        device.synchronize();
        for (Pending p : slotPending) {
            if (p != null && p.result == null) {
                p.done.close();
            }
        }
        for (DeviceRuntime.DeviceGraph g : graphs.values()) {
            g.close();
        }
        graphs.clear();
        for (long a : new long[] {residual, normed, wide, q, attn, delta, act, logitsIn, logits, pooledOut, partOut,
                partMl, invFreq, input, output}) {
            device.free(a);
        }
        if (graphInput != 0) {
            device.free(graphInput);
        }
        if (pairs != 0) {
            device.free(pairs);
        }
        if (embedScratch != null) {
            embedScratch.close();
        }
        arena.close();
    }

    @Override
    public String toString() {
        return "CudaModelRunner[" + spec.family() + ", " + device.describe() + ", " + gemm.describe() + "]";
    }
}
