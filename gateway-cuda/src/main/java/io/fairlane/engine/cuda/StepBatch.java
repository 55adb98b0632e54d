package io.fairlane.engine.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * One step's sequences, validated and described for the device: per sequence its first query row, its logits
 * row (sampled rows first, then plain logits rows, so the sampler runs over a prefix) or pooled row; per step
 * the decode and prefill counts, the attention tile count, the block-table stride, the split count of the
 * paged decode and what must come back to the host.
 *
 * <p>Validation happens here, before anything is launched: token ids (or references to the previous step's
 * sampled rows), positions within the context, block tables long enough and inside the pool, adjusted tokens
 * inside the vocabulary. A bad batch throws {@link IllegalArgumentException} naming the sequence.
 *
 * <p>Built and read on the engine loop thread, like the runner that uses it.
 */
final class StepBatch {
    final List<StepSequence> seqs;
    final int[] queryStart;
    final int[] sampleRow;
    final int[] pooledRow;
    int blockSize;
    int totalTokens;
    int decodeCount;
    int prefillCount;
    int tileCount;
    int stride;
    int maxDecodeSplits;
    int logitRowCount;
    int sampleRows;
    int logitsCopies;
    int pooledCount;
    int adjustCount;
    boolean anyTopLogprobs;
    int totalDecodeSplits;

    private StepBatch(List<StepSequence> seqs) {
        this.seqs = seqs;
        this.queryStart = new int[seqs.size()];
        this.sampleRow = new int[seqs.size()];
        this.pooledRow = new int[seqs.size()];
    }

    int tokens() {
        return totalTokens;
    }

    int sequences() {
        return seqs.size();
    }

    boolean isPureSampledDecode() {
        for (StepSequence s : seqs) {
            if (s.tokens().length != 1 || s.output() != StepSequence.Output.SAMPLE) {
                return false;
            }
        }
        return !seqs.isEmpty();
    }

    static StepBatch of(List<StepSequence> seqs, CudaModelSpec spec, DeviceKvCache kv, int maxTokens,
                    int maxSequences) {
        if (seqs.isEmpty()) {
            throw new IllegalArgumentException("a step needs at least one sequence");
        }
        if (seqs.size() > maxSequences) {
            throw new IllegalArgumentException("step of " + seqs.size() + " sequences exceeds maxSequences "
                    + maxSequences);
        }
        StepBatch b = new StepBatch(List.copyOf(seqs));
        int bs = kv.blockSize();
        b.blockSize = bs;
        int bqTile = Kernels.prefillTileRows(spec.headDim());
        int logitRow = 0;
        int pooled = 0;
        for (int i = 0; i < seqs.size(); i++) {
            StepSequence s = seqs.get(i);
            int ctx = s.contextAfter();
            if (ctx > spec.contextLength()) {
                throw new IllegalArgumentException("sequence " + i + " reaches position " + ctx
                        + ", beyond the context length " + spec.contextLength());
            }
            int blocksNeeded = (ctx + bs - 1) / bs;
            if (s.blockTable().length < blocksNeeded) {
                throw new IllegalArgumentException("sequence " + i + " needs " + blocksNeeded + " KV blocks for "
                        + ctx + " tokens, its table has " + s.blockTable().length);
            }
            for (int k = 0; k < blocksNeeded; k++) {
                int id = s.blockTable()[k];
                if (id < 0 || id >= kv.numBlocks()) {
                    throw new IllegalArgumentException("sequence " + i + " block " + k + " is " + id
                            + ", outside the pool of " + kv.numBlocks());
                }
            }
            for (int t : s.tokens()) {
                if (t >= spec.vocabSize() || t < -maxSequences) {
                    throw new IllegalArgumentException("sequence " + i + " has token id " + t
                            + " outside the vocabulary of " + spec.vocabSize());
                }
            }
            for (int t : s.adjustTokens()) {
                if (t < 0 || t >= spec.vocabSize()) {
                    throw new IllegalArgumentException("sequence " + i + " adjusts token " + t
                            + " outside the vocabulary");
                }
            }
            b.queryStart[i] = b.totalTokens;
            b.totalTokens += s.tokens().length;
            b.stride = Math.max(b.stride, blocksNeeded);
            if (s.tokens().length == 1) {
                b.decodeCount++;
                int sp = Kernels.decodeSplits(ctx);
                b.maxDecodeSplits = Math.max(b.maxDecodeSplits, sp);
                b.totalDecodeSplits += sp;
            } else {
                b.prefillCount++;
                b.tileCount += (s.tokens().length + bqTile - 1) / bqTile;
            }
            b.sampleRow[i] = -1;
            b.pooledRow[i] = -1;
            switch (s.output()) {
                case SAMPLE -> {
                    b.sampleRow[i] = logitRow++;
                    b.sampleRows = logitRow;
                    b.adjustCount += s.adjustTokens().length;
                    if (s.sampling().logprobs() > 0) {
                        b.anyTopLogprobs = true;
                    }
                }
                case LOGITS -> {
                    b.sampleRow[i] = logitRow++;
                    b.logitsCopies++;
                }
                case HIDDEN_MEAN -> b.pooledRow[i] = pooled++;
                case NONE -> {
                }
            }
        }
        if (b.totalTokens > maxTokens) {
            throw new IllegalArgumentException("step of " + b.totalTokens + " tokens exceeds maxTokens " + maxTokens);
        }
        // SAMPLE rows first, then LOGITS rows: sample_tokens runs over rows [0, sampleRows)
        int next = b.sampleRows;
        for (int i = 0; i < seqs.size(); i++) {
            if (seqs.get(i).output() == StepSequence.Output.LOGITS) {
                b.sampleRow[i] = next++;
            }
        }
        b.logitRowCount = next;
        b.pooledCount = pooled;
        b.stride = Math.max(1, b.stride);
        return b;
    }

    int slot(StepSequence s, int position, int bs) {
        return s.blockTable()[position / bs] * bs + position % bs;
    }

    /** Inputs of a captured decode graph: `bucket` rows (padding after the real ones), tables `stride` wide. */
    void writeGraphInputs(MemorySegment host, int bucket, int stride) {
        int n = seqs.size();
        long tokens = 0;
        long positions = 4L * bucket;
        long slots = 8L * bucket;
        long rows = 12L * bucket;
        long ctx = 16L * bucket;
        long splits = 20L * bucket;
        long tables = 24L * bucket;
        int bs = blockSize;
        int splitAt = 0;
        for (int i = 0; i < bucket; i++) {
            if (i < n) {
                StepSequence s = seqs.get(i);
                host.set(ValueLayout.JAVA_INT, tokens + 4L * i, s.tokens()[0]);
                host.set(ValueLayout.JAVA_INT, positions + 4L * i, s.startPosition());
                host.set(ValueLayout.JAVA_INT, slots + 4L * i, slot(s, s.startPosition(), bs));
                host.set(ValueLayout.JAVA_INT, ctx + 4L * i, s.contextAfter());
                host.set(ValueLayout.JAVA_INT, splits + 4L * i, splitAt);
                splitAt += Kernels.decodeSplits(s.contextAfter());
                int used = Math.min((s.contextAfter() + bs - 1) / bs, stride);
                for (int k = 0; k < stride; k++) {
                    host.set(ValueLayout.JAVA_INT, tables + 4L * ((long) i * stride + k),
                            k < used ? s.blockTable()[k] : 0);
                }
            } else {
                host.set(ValueLayout.JAVA_INT, tokens + 4L * i, 0);
                host.set(ValueLayout.JAVA_INT, positions + 4L * i, 0);
                host.set(ValueLayout.JAVA_INT, slots + 4L * i, -1);
                host.set(ValueLayout.JAVA_INT, ctx + 4L * i, 0);
                host.set(ValueLayout.JAVA_INT, splits + 4L * i, splitAt);
                for (int k = 0; k < stride; k++) {
                    host.set(ValueLayout.JAVA_INT, tables + 4L * ((long) i * stride + k), 0);
                }
            }
            host.set(ValueLayout.JAVA_INT, rows + 4L * i, i);
        }
    }

    @Override
    public String toString() {
        return "StepBatch[" + seqs.size() + " sequences, " + totalTokens + " tokens, " + decodeCount + " decodes, "
                + prefillCount + " prefills]";
    }
}
