package io.fairlane.engine.cuda;

import java.util.Objects;

/**
 * Device bytes of each buffer a {@link CudaModelRunner} allocates for its limits, in one place: the runner
 * allocates exactly these, and the memory plan charges their sum ({@link #activationBytes}) before sizing the KV
 * pool, so the two cannot drift apart. Shapes: T = tokens per step, S = sequences per step, H = hidden width,
 * I = MLP width, V = vocabulary; activations are bf16 but for the f32 residual stream, logits and pooled rows.
 *
 * @param maxTokens    tokens per step (T)
 * @param maxSequences sequences per step (S)
 * @param blockSize    tokens per KV block
 */
record RunnerFootprint(CudaModelSpec spec, int maxTokens, int maxSequences, int blockSize) {

    /** Bytes per row of the step outputs: token, log probability, top ids and their log probabilities. */
    static final int OUT_BYTES_PER_ROW = 8 + CudaModelRunner.MAX_TOP_LOGPROBS * 8;
    /** Tokens the embedding scratch cache holds; longer inputs get a temporary one of their size. */
    static final int EMBED_SCRATCH_TOKENS = 8192;
    /** Sequences a captured decode graph serves at most. */
    static final int GRAPH_MAX_SEQUENCES = 256;
    /** Batch sizes decode graphs are captured for; a step is padded up to the next one. */
    private static final int[] GRAPH_BUCKETS = {1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 160, 192, 224, 256};

    RunnerFootprint {
        Objects.requireNonNull(spec, "spec");
        if (maxTokens <= 0 || maxSequences <= 0 || blockSize <= 0) {
            throw new IllegalArgumentException("maxTokens, maxSequences and blockSize must be > 0");
        }
    }

    /** {@code [T, H]} f32. */
    long residual() {
        return 4L * maxTokens * spec.hiddenSize();
    }

    /** {@code [T, H]} bf16: normed activations, and layer outputs likewise. */
    long hiddenRows() {
        return 2L * maxTokens * spec.hiddenSize();
    }

    /** {@code [T, max(qkv width, 2 I)]} bf16: the fused q/k/v and gate/up products. */
    long wide() {
        return 2L * maxTokens * Math.max(spec.qkvWidth(), 2L * spec.intermediateSize());
    }

    /** {@code [T, Hq * D]} bf16: queries, and the attention output likewise. */
    long attentionRows() {
        return 2L * maxTokens * spec.attentionWidth();
    }

    /** {@code [T, I]} bf16. */
    long mlp() {
        return 2L * maxTokens * spec.intermediateSize();
    }

    /** {@code [S, H]} bf16: the final hidden rows that need logits. */
    long finalRows() {
        return 2L * maxSequences * spec.hiddenSize();
    }

    /** {@code [S, V]} f32. */
    long logits() {
        return 4L * maxSequences * spec.vocabSize();
    }

    /** {@code [S, H]} f32. */
    long pooled() {
        return 4L * maxSequences * spec.hiddenSize();
    }

    long stepOutputs() {
        return (long) maxSequences * OUT_BYTES_PER_ROW;
    }

    /** Blocks a full-context sequence's table holds. */
    int maxBlocksPerSequence() {
        return (spec.contextLength() + blockSize - 1) / blockSize;
    }

    /** The packed step inputs at the largest step (the buffer grows if a step needs more). */
    long stepInputs() {
        long ints = 3L * maxTokens + 12L * maxSequences + 2L * maxSequences * maxBlocksPerSequence() / 4
                + 2L * (maxTokens / 32 + maxSequences);
        return Math.max(64 * 1024, ints * 4 + (long) maxSequences * SamplingRows.BYTES + 4096);
    }

    /** Inputs of a captured decode graph whose block tables are {@code stride} wide. */
    long graphInputs(int stride) {
        return 4L * Math.min(maxSequences, GRAPH_MAX_SEQUENCES) * (6 + stride);
    }

    /** The widest graph block table: every table of the context, rounded up to its stride bucket. */
    int graphMaxStride() {
        return strideBucket(maxBlocksPerSequence());
    }

    /** The embedding scratch cache. */
    long embedScratch() {
        int tokens = Math.min(spec.contextLength(), EMBED_SCRATCH_TOKENS);
        return DeviceKvCache.bytesPerBlock(spec, blockSize) * ((tokens + blockSize - 1) / blockSize);
    }

    /** Every per-step buffer above, for the memory plan; the decode partials are charged per KV block instead. */
    long activationBytes() {
        return residual() + 2 * hiddenRows() + wide() + 2 * attentionRows() + mlp() + finalRows() + logits()
                + pooled() + stepOutputs() + stepInputs() + graphInputs(graphMaxStride()) + embedScratch();
    }

    /** Decode split slots for every token a pool of {@code kvBlocks} holds, plus one per sequence for rounding. */
    int splitSlots(int kvBlocks) {
        long tokens = (long) kvBlocks * blockSize;
        return (int) Math.min(Integer.MAX_VALUE, tokens / Kernels.DECODE_PART + maxSequences + 1);
    }

    /** Decode partial bytes per KV block (charged to the pool in the memory plan). */
    static long partialBytesPerBlock(CudaModelSpec spec, int blockSize) {
        return (long) Math.ceil((double) blockSize / Kernels.DECODE_PART * spec.heads() * (spec.headDim() + 2) * 4);
    }

    /** The captured graph a decode of {@code sequences} sequences replays: the next bucket up. */
    static int graphBucket(int sequences) {
        for (int b : GRAPH_BUCKETS) {
            if (b >= sequences) {
                return b;
            }
        }
        throw new IllegalArgumentException("no graph bucket for " + sequences + " sequences");
    }

    /** A graph's block-table width for tables of {@code stride} blocks: a power of two, at least 16. */
    static int strideBucket(int stride) {
        return Math.max(16, Integer.highestOneBit(Math.max(1, stride - 1)) << 1);
    }
}
