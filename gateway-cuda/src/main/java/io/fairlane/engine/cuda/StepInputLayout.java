package io.fairlane.engine.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Where each per-step integer array sits in the one pinned buffer that carries a step's inputs to the device
 * (tokens, positions, KV slots, decode and prefill work lists with their block tables, attention tiles, logits
 * rows, pooling ranges, logit adjustments, sampling parameters), each array aligned to 16 bytes, and the code
 * that fills it from a {@link StepBatch}. One copy sends it all.
 *
 * <p>Used on the engine loop thread only.
 */
final class StepInputLayout {
    long tokens;
    long positions;
    long slots;
    long decRows;
    long decCtx;
    long decSplits;
    long decTables;
    long preStart;
    long preLen;
    long preCtx;
    long preTables;
    long tiles;
    long logitRows;
    long poolRanges;
    long adjRows;
    long adjTokens;
    long adjDeltas;
    long params;
    long bytes;
    private long cursor;
    private CudaModelSpec spec;
    private int blockSize;

    private long take(long ints) {
        long at = cursor;
        cursor += (4 * ints + 15) / 16 * 16;
        return at;
    }

    static StepInputLayout layout(StepBatch b, CudaModelSpec spec) {
        StepInputLayout in = new StepInputLayout();
        in.spec = spec;
        int t = b.tokens();
        in.tokens = in.take(t);
        in.positions = in.take(t);
        in.slots = in.take(t);
        in.decRows = in.take(b.decodeCount);
        in.decCtx = in.take(b.decodeCount);
        in.decSplits = in.take(b.decodeCount);
        in.decTables = in.take((long) b.decodeCount * b.stride);
        in.preStart = in.take(b.prefillCount);
        in.preLen = in.take(b.prefillCount);
        in.preCtx = in.take(b.prefillCount);
        in.preTables = in.take((long) b.prefillCount * b.stride);
        in.tiles = in.take(2L * b.tileCount);
        in.logitRows = in.take(b.logitRowCount);
        in.poolRanges = in.take(2L * b.pooledCount);
        in.adjRows = in.take(b.adjustCount);
        in.adjTokens = in.take(b.adjustCount);
        in.adjDeltas = in.take(b.adjustCount);
        in.params = in.take((long) b.sampleRows * SamplingRows.BYTES / 4);
        in.bytes = Math.max(16, in.cursor);
        return in;
    }

    void write(MemorySegment host, StepBatch b) {
        blockSize = b.blockSize;
        int bs = blockSize;
        int dec = 0;
        int pre = 0;
        int tile = 0;
        int splitAt = 0;
        int bqTile = Kernels.prefillTileRows(spec.headDim());
        for (int i = 0; i < b.seqs.size(); i++) {
            StepSequence s = b.seqs.get(i);
            int row0 = b.queryStart[i];
            for (int j = 0; j < s.tokens().length; j++) {
                int pos = s.startPosition() + j;
                host.set(ValueLayout.JAVA_INT, tokens + 4L * (row0 + j), s.tokens()[j]);
                host.set(ValueLayout.JAVA_INT, positions + 4L * (row0 + j), pos);
                host.set(ValueLayout.JAVA_INT, slots + 4L * (row0 + j), b.slot(s, pos, bs));
            }
            int ctx = s.contextAfter();
            int used = (ctx + bs - 1) / bs;
            if (s.tokens().length == 1) {
                host.set(ValueLayout.JAVA_INT, decRows + 4L * dec, row0);
                host.set(ValueLayout.JAVA_INT, decCtx + 4L * dec, ctx);
                host.set(ValueLayout.JAVA_INT, decSplits + 4L * dec, splitAt);
                splitAt += Kernels.decodeSplits(ctx);
                for (int k = 0; k < b.stride; k++) {
                    host.set(ValueLayout.JAVA_INT, decTables + 4L * ((long) dec * b.stride + k),
                            k < used ? s.blockTable()[k] : 0);
                }
                dec++;
            } else {
                host.set(ValueLayout.JAVA_INT, preStart + 4L * pre, row0);
                host.set(ValueLayout.JAVA_INT, preLen + 4L * pre, s.tokens().length);
                host.set(ValueLayout.JAVA_INT, preCtx + 4L * pre, ctx);
                for (int k = 0; k < b.stride; k++) {
                    host.set(ValueLayout.JAVA_INT, preTables + 4L * ((long) pre * b.stride + k),
                            k < used ? s.blockTable()[k] : 0);
                }
                for (int q0 = 0; q0 < s.tokens().length; q0 += bqTile) {
                    host.set(ValueLayout.JAVA_INT, tiles + 8L * tile, pre);
                    host.set(ValueLayout.JAVA_INT, tiles + 8L * tile + 4, q0);
                    tile++;
                }
                pre++;
            }
            int lr = b.sampleRow[i];
            if (lr >= 0) {
                host.set(ValueLayout.JAVA_INT, logitRows + 4L * lr, row0 + s.tokens().length - 1);
            }
            int pr = b.pooledRow[i];
            if (pr >= 0) {
                host.set(ValueLayout.JAVA_INT, poolRanges + 8L * pr, row0);
                host.set(ValueLayout.JAVA_INT, poolRanges + 8L * pr + 4, row0 + s.tokens().length);
            }
        }
        writeSamplingOnly(host, b);
    }

    /** Logit adjustments and sampling parameters (all the graph path needs besides its own inputs). */
    void writeSamplingOnly(MemorySegment host, StepBatch b) {
        int a = 0;
        for (int i = 0; i < b.seqs.size(); i++) {
            StepSequence s = b.seqs.get(i);
            if (s.output() != StepSequence.Output.SAMPLE) {
                continue;
            }
            int row = b.sampleRow[i];
            StepSequence.SampleSpec p = s.sampling();
            SamplingRows.write(host.asSlice(params), row, p.temperature(), p.topP(), p.minP(), p.topK(),
                    p.seed(), p.counter(), p.logprobs());
            for (int k = 0; k < s.adjustTokens().length; k++) {
                host.set(ValueLayout.JAVA_INT, adjRows + 4L * a, row);
                host.set(ValueLayout.JAVA_INT, adjTokens + 4L * a, s.adjustTokens()[k]);
                host.set(ValueLayout.JAVA_FLOAT, adjDeltas + 4L * a, s.adjustDeltas()[k]);
                a++;
            }
        }
    }
}
