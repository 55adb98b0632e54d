package io.fairlane.engine.cpu;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Decode and prefill attention of one query head of one token over its sequence's paged K and V: scores
 * {@code q·k_j · scale} for the positions in its window, a softmax, and {@code Σ_j p_j v_j}.
 *
 * <p>Why not a dot product and an axpy per position: at the contexts of interactive decoding (tens to hundreds
 * of positions, head dimension 64–128) the work per position is a few vector operations, so what costs is per
 * position overhead: the block-table division, a call, one fused multiply-add chain whose latency nothing hides,
 * and an output row loaded and stored again for every position. Here the positions' cache offsets are resolved
 * once per head into a scratch array; scores run four positions at a time (four independent chains); and the
 * weighted sum keeps up to four output vectors in registers while it walks the positions, storing each once.
 *
 * <p>Fixed arithmetic, so results do not depend on how positions are grouped, on the batch or on the thread: a
 * score is one vector accumulator fed by fused multiply-adds over the head dimension in order, its lanes folded by
 * {@link VectorKernels#sumLanes}, then the scalar tail; the softmax is {@link VectorMath#softmax}; each output
 * element is one fused multiply-add chain over the positions in order, from zero.
 */
final class AttentionKernels {

    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final int L = F.length();

    private AttentionKernels() {
    }

    /** Scratch a worker needs: cache offsets and scores for {@code context} positions. */
    record Scratch(long[] offsets, float[] scores) {

        static Scratch of(int context) {
            return new Scratch(new long[Math.max(64, context)], new float[VectorMath.padded(Math.max(64, context))]);
        }

        boolean fits(int context) {
            return offsets.length >= context;
        }
    }

    /**
     * {@code out[oo, oo + headDim) = softmax(q·K^T · scale) · V} over positions {@code [start, end]} of the sequence
     * with {@code table}, for the KV head whose elements start {@code headOffset} into each cache slot.
     */
    static void attend(float[] q, int qo, MemorySegment k, MemorySegment v, PagedKvStore store, int[] table,
                       long headOffset, int start, int end, int headDim, float scale, Scratch scratch, float[] out,
                       int oo) {
        int n = end - start + 1;
        long[] offs = scratch.offsets();
        float[] s = scratch.scores();
        int bs = store.blockSize;
        int block = start / bs;
        int slot = start % bs;
        for (int j = 0; j < n; j++) {
            offs[j] = store.offset(table[block], slot) + headOffset;
            if (++slot == bs) {
                slot = 0;
                block++;
            }
        }
        scores(q, qo, k, offs, n, headDim, scale, s);
        VectorMath.softmax(s, n);
        weightedSum(v, offs, s, n, headDim, out, oo);
    }

    /** {@code s[j] = dot(q, k at offs[j]) · scale} for j in [0, n). */
    private static void scores(float[] q, int qo, MemorySegment k, long[] offs, int n, int headDim, float scale,
                                float[] s) {
        int bound = F.loopBound(headDim);
        int j = 0;
        for (; j + 4 <= n; j += 4) {
            long o0 = offs[j];
            long o1 = offs[j + 1];
            long o2 = offs[j + 2];
            long o3 = offs[j + 3];
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int c = 0; c < bound; c += L) {
                FloatVector qv = FloatVector.fromArray(F, q, qo + c);
                a0 = qv.fma(VectorKernels.f32(k, o0 + c), a0);
                a1 = qv.fma(VectorKernels.f32(k, o1 + c), a1);
                a2 = qv.fma(VectorKernels.f32(k, o2 + c), a2);
                a3 = qv.fma(VectorKernels.f32(k, o3 + c), a3);
            }
            s[j] = tail(q, qo, k, o0, bound, headDim, VectorKernels.sumLanes(a0)) * scale;
            s[j + 1] = tail(q, qo, k, o1, bound, headDim, VectorKernels.sumLanes(a1)) * scale;
            s[j + 2] = tail(q, qo, k, o2, bound, headDim, VectorKernels.sumLanes(a2)) * scale;
            s[j + 3] = tail(q, qo, k, o3, bound, headDim, VectorKernels.sumLanes(a3)) * scale;
        }
        for (; j < n; j++) {
            long o = offs[j];
            FloatVector a = FloatVector.zero(F);
            for (int c = 0; c < bound; c += L) {
                a = FloatVector.fromArray(F, q, qo + c).fma(VectorKernels.f32(k, o + c), a);
            }
            s[j] = tail(q, qo, k, o, bound, headDim, VectorKernels.sumLanes(a)) * scale;
        }
    }

    private static float tail(float[] q, int qo, MemorySegment k, long o, int bound, int headDim, float acc) {
        for (int c = bound; c < headDim; c++) {
            acc = Math.fma(q[qo + c], VectorKernels.f32Scalar(k, o + c), acc);
        }
        return acc;
    }

    /** {@code out[oo + i] = Σ_j p[j] · v[offs[j] + i]}, each element a chain over j in order from zero. */
    private static void weightedSum(MemorySegment v, long[] offs, float[] p, int n, int headDim, float[] out,
                                    int oo) {
        int bound = F.loopBound(headDim);
        int c = 0;
        for (; c + 4 * L <= bound; c += 4 * L) {
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int j = 0; j < n; j++) {
                long o = offs[j] + c;
                FloatVector pj = FloatVector.broadcast(F, p[j]);
                a0 = VectorKernels.f32(v, o).fma(pj, a0);
                a1 = VectorKernels.f32(v, o + L).fma(pj, a1);
                a2 = VectorKernels.f32(v, o + 2 * L).fma(pj, a2);
                a3 = VectorKernels.f32(v, o + 3 * L).fma(pj, a3);
            }
            a0.intoArray(out, oo + c);
            a1.intoArray(out, oo + c + L);
            a2.intoArray(out, oo + c + 2 * L);
            a3.intoArray(out, oo + c + 3 * L);
        }
        for (; c < bound; c += L) {
            FloatVector a = FloatVector.zero(F);
            for (int j = 0; j < n; j++) {
                a = VectorKernels.f32(v, offs[j] + c).fma(FloatVector.broadcast(F, p[j]), a);
            }
            a.intoArray(out, oo + c);
        }
        for (; c < headDim; c++) {
            float a = 0;
            for (int j = 0; j < n; j++) {
                a = Math.fma(VectorKernels.f32Scalar(v, offs[j] + c), p[j], a);
            }
            out[oo + c] = a;
        }
    }
}
