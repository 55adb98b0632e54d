package io.fairlane.engine.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernels of the CPU forward pass.
 *
 * <p><b>Matmul.</b> {@code out[t, r] = sum_k x[t, k] * W[r, k]}. A bf16 matrix repacked into panels goes to the
 * outer-product kernels of {@link PanelKernels}. The rest of this comment is about the row-major path, which reads
 * W {@code [rows, cols]} straight from the mapped file (f32 weights, and bf16 when packing is switched off).
 * Register tiles reuse each loaded weight vector across several tokens (2 rows × 4 tokens) or each loaded
 * activation across several rows (4 rows × 1 token, the decode case), so a step over T tokens reads the weights
 * once, not T times. bf16 weights are widened by sign-extending each 16-bit lane to 32 bits and shifting it into
 * the high half, which is exactly the float the bf16 value denotes.
 *
 * <p><b>Bit-identical results whatever the tile.</b> Every (row, token) dot product is computed the same way in
 * every kernel: one vector accumulator fed in k order by fused multiply-adds, its lanes summed left to right
 * through an array (never {@code reduceLanes}, whose order may differ between the interpreter and compiled
 * code), then the tail by scalar fused multiply-adds. So a token's logits do not depend on how many other
 * tokens share its step, which keeps batched, chunked and one-by-one runs token-for-token equal and lets a
 * seeded request sample the same tokens whatever shares its batch.
 */
final class VectorKernels {

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class,
            VectorShape.forBitSize(F.vectorBitSize() / 2));
    static final int L = F.length();

    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Activation bytes a token tile may take, so the tile stays in the L2 cache while the rows stream past. */
    private static final int TILE_BYTES = 192 * 1024;

    private VectorKernels() {
    }

    static FloatVector bf16(MemorySegment seg, long elementIndex) {
        ShortVector s = ShortVector.fromMemorySegment(S, seg, elementIndex * 2, LE);
        IntVector i = (IntVector) s.convertShape(VectorOperators.S2I, I, 0);
        return i.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    static FloatVector f32(MemorySegment seg, long elementIndex) {
        return FloatVector.fromMemorySegment(F, seg, elementIndex * 4, LE);
    }

    static float bf16Scalar(MemorySegment seg, long elementIndex) {
        return Float.intBitsToFloat((seg.get(SHORT_LE, elementIndex * 2) & 0xffff) << 16);
    }

    static float f32Scalar(MemorySegment seg, long elementIndex) {
        return seg.get(FLOAT_LE, elementIndex * 4);
    }

    /**
     * Lane-folding shuffles for {@link #sumLanes}: step i adds each lane to the lane {@code L >> (i + 1)} away,
     * halving the distinct partial sums until lane 0 holds the total.
     */
    private static final jdk.incubator.vector.VectorShuffle<Float>[] FOLDS = folds();

    @SuppressWarnings("unchecked")
    private static jdk.incubator.vector.VectorShuffle<Float>[] folds() {
        int steps = Integer.numberOfTrailingZeros(L);
        jdk.incubator.vector.VectorShuffle<Float>[] f = new jdk.incubator.vector.VectorShuffle[steps];
        for (int i = 0; i < steps; i++) {
            int d = L >> (i + 1);
            f[i] = jdk.incubator.vector.VectorShuffle.fromOp(F, lane -> lane ^ d);
        }
        return f;
    }

    /**
     * Sum of the lanes in one fixed pairwise order, written as lanewise adds of shuffled copies: unlike
     * {@code reduceLanes}, whose order is unspecified, this is the same computation in the interpreter and in
     * compiled code, and it costs a few shuffles instead of a trip through memory.
     */
    static float sumLanes(FloatVector acc) {
        FloatVector v = acc;
        for (jdk.incubator.vector.VectorShuffle<Float> fold : FOLDS) {
            v = v.add(v.rearrange(fold));
        }
        return v.lane(0);
    }

    /**
     * {@code out[t * outStride + outOffset + r] = dot(W[r], x[t * cols ...])} for rows {@code [r0, r1)} and tokens
     * {@code [0, tokens)}.
     *
     * <p>With several tokens, each block of four bf16 rows is first widened once into {@code rowBuf} (f32, on the
     * heap), so the conversion is paid once per block instead of once per token group; the values, and therefore
     * the results, are exactly those of the direct path.
     *
     * @param x      {@code [tokens, w.cols]} activations
     * @param out    {@code [tokens, outStride]}
     * @param rowBuf the calling worker's {@link #rowScratch} for this matrix width
     * @param acc    the calling worker's {@link PanelKernels#accScratch()}
     */
    static void matmul(Matrix w, float[] x, int tokens, float[] out, int outStride, int outOffset, int r0, int r1,
                       float[] rowBuf, float[] acc) {
        if (w.panels != null) {
            PanelKernels.matmul(w.panels, w.rows, w.cols, x, tokens, out, outStride, outOffset, r0, r1, acc);
            return;
        }
        int cols = w.cols;
        int tile = Math.max(4, (TILE_BYTES / (cols * 4)) & ~3);
        boolean widen = w.bf16 && tokens >= WIDEN_MIN_TOKENS;
        for (int t0 = 0; t0 < tokens; t0 += tile) {
            int t1 = Math.min(tokens, t0 + tile);
            for (int r = r0; r < r1; r += 4) {
                int rb = Math.min(4, r1 - r);
                if (widen) {
                    widenRows(w, r, rb, rowBuf);
                }
                int t = t0;
                for (; t + 4 <= t1; t += 4) {
                    int pairs = 0;
                    for (; pairs + 2 <= rb; pairs += 2) {
                        if (widen) {
                            tile2x4(rowBuf, pairs * cols, cols, x, t, out, outStride, outOffset + r + pairs);
                        } else {
                            tile2x4(w, r + pairs, x, t, out, outStride, outOffset);
                        }
                    }
                    if (pairs < rb) {
                        for (int tt = t; tt < t + 4; tt++) {
                            out[tt * outStride + outOffset + r + pairs] = widen
                                    ? dot(rowBuf, pairs * cols, x, tt * cols, cols)
                                    : dot(w, r + pairs, x, tt * cols);
                        }
                    }
                }
                for (; t < t1; t++) {
                    if (rb == 4 && !widen) {
                        tile4x1(w, r, x, t, out, t * outStride + outOffset);
                    } else {
                        for (int rr = 0; rr < rb; rr++) {
                            out[t * outStride + outOffset + r + rr] = widen
                                    ? dot(rowBuf, rr * cols, x, t * cols, cols)
                                    : dot(w, r + rr, x, t * cols);
                        }
                    }
                }
            }
        }
    }

    /** Tokens from which widening a row block once beats converting it for every token group. */
    static final int WIDEN_MIN_TOKENS = Integer.getInteger("fairlane.cpu.widenMinTokens", 8);

    /** Scratch for {@link #matmul}'s widened rows: four rows of the widest matrix. */
    static float[] rowScratch(int maxCols) {
        return new float[4 * maxCols];
    }

    private static void widenRows(Matrix w, int r, int rows, float[] buf) {
        int cols = w.cols;
        int bound = F.loopBound(cols);
        for (int i = 0; i < rows; i++) {
            long base = (long) (r + i) * cols;
            int o = i * cols;
            int k = 0;
            for (; k < bound; k += L) {
                bf16(w.data, base + k).intoArray(buf, o + k);
            }
            for (; k < cols; k++) {
                buf[o + k] = bf16Scalar(w.data, base + k);
            }
        }
    }

    /** {@link #dot} over a widened row. */
    private static float dot(float[] wb, int wOff, float[] x, int xOff, int cols) {
        int bound = F.loopBound(cols);
        FloatVector acc = FloatVector.zero(F);
        for (int k = 0; k < bound; k += L) {
            acc = FloatVector.fromArray(F, wb, wOff + k).fma(FloatVector.fromArray(F, x, xOff + k), acc);
        }
        float s = sumLanes(acc);
        for (int k = bound; k < cols; k++) {
            s = Math.fma(wb[wOff + k], x[xOff + k], s);
        }
        return s;
    }

    /** {@link #tile2x4} over two widened rows at {@code wb[wOff]} and {@code wb[wOff + cols]}. */
    private static void tile2x4(float[] wb, int wOff, int cols, float[] x, int t, float[] out, int outStride,
                                int outCol) {
        int bound = F.loopBound(cols);
        int w1 = wOff + cols;
        int x0 = t * cols;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a01 = a00;
        FloatVector a02 = a00;
        FloatVector a03 = a00;
        FloatVector a10 = a00;
        FloatVector a11 = a00;
        FloatVector a12 = a00;
        FloatVector a13 = a00;
        for (int k = 0; k < bound; k += L) {
            FloatVector v0 = FloatVector.fromArray(F, wb, wOff + k);
            FloatVector v1 = FloatVector.fromArray(F, wb, w1 + k);
            FloatVector xv = FloatVector.fromArray(F, x, x0 + k);
            a00 = v0.fma(xv, a00);
            a10 = v1.fma(xv, a10);
            xv = FloatVector.fromArray(F, x, x1 + k);
            a01 = v0.fma(xv, a01);
            a11 = v1.fma(xv, a11);
            xv = FloatVector.fromArray(F, x, x2 + k);
            a02 = v0.fma(xv, a02);
            a12 = v1.fma(xv, a12);
            xv = FloatVector.fromArray(F, x, x3 + k);
            a03 = v0.fma(xv, a03);
            a13 = v1.fma(xv, a13);
        }
        int o = t * outStride + outCol;
        out[o] = tailHeap(wb, wOff, x, x0, bound, cols, sumLanes(a00));
        out[o + 1] = tailHeap(wb, w1, x, x0, bound, cols, sumLanes(a10));
        o += outStride;
        out[o] = tailHeap(wb, wOff, x, x1, bound, cols, sumLanes(a01));
        out[o + 1] = tailHeap(wb, w1, x, x1, bound, cols, sumLanes(a11));
        o += outStride;
        out[o] = tailHeap(wb, wOff, x, x2, bound, cols, sumLanes(a02));
        out[o + 1] = tailHeap(wb, w1, x, x2, bound, cols, sumLanes(a12));
        o += outStride;
        out[o] = tailHeap(wb, wOff, x, x3, bound, cols, sumLanes(a03));
        out[o + 1] = tailHeap(wb, w1, x, x3, bound, cols, sumLanes(a13));
    }

    private static float tailHeap(float[] wb, int wOff, float[] x, int xo, int bound, int cols, float s) {
        for (int k = bound; k < cols; k++) {
            s = Math.fma(wb[wOff + k], x[xo + k], s);
        }
        return s;
    }

    /** One row against one token. */
    static float dot(Matrix w, int row, float[] x, int xOff) {
        int cols = w.cols;
        int bound = F.loopBound(cols);
        long base = (long) row * cols;
        MemorySegment seg = w.data;
        FloatVector acc = FloatVector.zero(F);
        if (w.bf16) {
            for (int k = 0; k < bound; k += L) {
                acc = bf16(seg, base + k).fma(FloatVector.fromArray(F, x, xOff + k), acc);
            }
        } else {
            for (int k = 0; k < bound; k += L) {
                acc = f32(seg, base + k).fma(FloatVector.fromArray(F, x, xOff + k), acc);
            }
        }
        float s = sumLanes(acc);
        for (int k = bound; k < cols; k++) {
            float wk = w.bf16 ? bf16Scalar(seg, base + k) : f32Scalar(seg, base + k);
            s = Math.fma(wk, x[xOff + k], s);
        }
        return s;
    }

    /** Rows r..r+3 against token t: the decode tile. */
    private static void tile4x1(Matrix w, int r, float[] x, int t, float[] out, int outBase) {
        int cols = w.cols;
        int bound = F.loopBound(cols);
        MemorySegment seg = w.data;
        long b0 = (long) r * cols;
        long b1 = b0 + cols;
        long b2 = b1 + cols;
        long b3 = b2 + cols;
        int xo = t * cols;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        if (w.bf16) {
            for (int k = 0; k < bound; k += L) {
                FloatVector xv = FloatVector.fromArray(F, x, xo + k);
                a0 = bf16(seg, b0 + k).fma(xv, a0);
                a1 = bf16(seg, b1 + k).fma(xv, a1);
                a2 = bf16(seg, b2 + k).fma(xv, a2);
                a3 = bf16(seg, b3 + k).fma(xv, a3);
            }
        } else {
            for (int k = 0; k < bound; k += L) {
                FloatVector xv = FloatVector.fromArray(F, x, xo + k);
                a0 = f32(seg, b0 + k).fma(xv, a0);
                a1 = f32(seg, b1 + k).fma(xv, a1);
                a2 = f32(seg, b2 + k).fma(xv, a2);
                a3 = f32(seg, b3 + k).fma(xv, a3);
            }
        }
        out[outBase + r] = tail(w, b0, x, xo, bound, sumLanes(a0));
        out[outBase + r + 1] = tail(w, b1, x, xo, bound, sumLanes(a1));
        out[outBase + r + 2] = tail(w, b2, x, xo, bound, sumLanes(a2));
        out[outBase + r + 3] = tail(w, b3, x, xo, bound, sumLanes(a3));
    }

    /** Rows r, r+1 against tokens t..t+3: the batched tile, each weight vector used four times. */
    private static void tile2x4(Matrix w, int r, float[] x, int t, float[] out, int outStride, int outOffset) {
        int cols = w.cols;
        int bound = F.loopBound(cols);
        MemorySegment seg = w.data;
        long b0 = (long) r * cols;
        long b1 = b0 + cols;
        int x0 = t * cols;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a01 = a00;
        FloatVector a02 = a00;
        FloatVector a03 = a00;
        FloatVector a10 = a00;
        FloatVector a11 = a00;
        FloatVector a12 = a00;
        FloatVector a13 = a00;
        if (w.bf16) {
            for (int k = 0; k < bound; k += L) {
                FloatVector w0 = bf16(seg, b0 + k);
                FloatVector w1 = bf16(seg, b1 + k);
                FloatVector xv = FloatVector.fromArray(F, x, x0 + k);
                a00 = w0.fma(xv, a00);
                a10 = w1.fma(xv, a10);
                xv = FloatVector.fromArray(F, x, x1 + k);
                a01 = w0.fma(xv, a01);
                a11 = w1.fma(xv, a11);
                xv = FloatVector.fromArray(F, x, x2 + k);
                a02 = w0.fma(xv, a02);
                a12 = w1.fma(xv, a12);
                xv = FloatVector.fromArray(F, x, x3 + k);
                a03 = w0.fma(xv, a03);
                a13 = w1.fma(xv, a13);
            }
        } else {
            for (int k = 0; k < bound; k += L) {
                FloatVector w0 = f32(seg, b0 + k);
                FloatVector w1 = f32(seg, b1 + k);
                FloatVector xv = FloatVector.fromArray(F, x, x0 + k);
                a00 = w0.fma(xv, a00);
                a10 = w1.fma(xv, a10);
                xv = FloatVector.fromArray(F, x, x1 + k);
                a01 = w0.fma(xv, a01);
                a11 = w1.fma(xv, a11);
                xv = FloatVector.fromArray(F, x, x2 + k);
                a02 = w0.fma(xv, a02);
                a12 = w1.fma(xv, a12);
                xv = FloatVector.fromArray(F, x, x3 + k);
                a03 = w0.fma(xv, a03);
                a13 = w1.fma(xv, a13);
            }
        }
        int o = t * outStride + outOffset + r;
        out[o] = tail(w, b0, x, x0, bound, sumLanes(a00));
        out[o + 1] = tail(w, b1, x, x0, bound, sumLanes(a10));
        o += outStride;
        out[o] = tail(w, b0, x, x1, bound, sumLanes(a01));
        out[o + 1] = tail(w, b1, x, x1, bound, sumLanes(a11));
        o += outStride;
        out[o] = tail(w, b0, x, x2, bound, sumLanes(a02));
        out[o + 1] = tail(w, b1, x, x2, bound, sumLanes(a12));
        o += outStride;
        out[o] = tail(w, b0, x, x3, bound, sumLanes(a03));
        out[o + 1] = tail(w, b1, x, x3, bound, sumLanes(a13));
    }

    private static float tail(Matrix w, long base, float[] x, int xo, int bound, float s) {
        for (int k = bound; k < w.cols; k++) {
            float wk = w.bf16 ? bf16Scalar(w.data, base + k) : f32Scalar(w.data, base + k);
            s = Math.fma(wk, x[xo + k], s);
        }
        return s;
    }

    /** Copies {@code src[srcOff, srcOff + n)} into the KV store at element {@code kvOff}. */
    static void storeKv(float[] src, int srcOff, MemorySegment kv, long kvOff, int n) {
        MemorySegment.copy(src, srcOff, kv, FLOAT_LE, kvOff * 4, n);
    }
}
