package io.fairlane.engine.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Outer-product matmul over bf16 weights repacked into row panels, the GEMM micro-kernel shape.
 *
 * <p><b>Layout.</b> Rows are grouped into panels of {@code P = 2 × L} rows (16 with AVX2's 8 float lanes; the last
 * panel padded with zero rows). A panel is stored k-major: for each input column k one {@code L}-lane int vector
 * whose lane j holds row j's bf16 in its low half and row {@code j + L}'s in its high half. One load therefore
 * yields both halves of the panel's column as floats with one shift ({@code << 16}) and one mask
 * ({@code & 0xffff0000}), exactly the floats the bf16 values denote. Same bytes as the row-major original.
 *
 * <p><b>Kernel.</b> For each k, the panel column (two vectors = P outputs) is multiplied by each token's activation
 * {@code x[t, k]} broadcast to all lanes and added into a register tile of accumulators (2 vectors × up to 6
 * tokens = 12 on AVX2's 16 registers). Per k that is one load, two integer ops and 6 broadcasts for 12 fused
 * multiply-adds; a dot-product tile needs a vector load per operand. The accumulators are the outputs
 * themselves (lane j = row j), so no lane reduction is needed: they are stored as vectors.
 *
 * <p><b>Bit-identical results whatever the tile.</b> Every output is one fused multiply-add chain over k = 0, 1,
 * ..., cols - 1 starting from zero, whichever kernel (1 to 6 tokens, 1 to 4 panels) computes it, so a token's
 * result does not depend on what else shares its step.
 */
final class PanelKernels {

    static final VectorSpecies<Float> F = VectorKernels.F;
    static final VectorSpecies<Integer> I = VectorKernels.I;
    static final int L = F.length();
    /** Rows per panel. */
    static final int P = 2 * L;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    private static final int HI = 0xffff0000;
    /** Activation bytes a token block may take, so it stays in the L2 cache while the panels stream past. */
    private static final int TILE_BYTES = 192 * 1024;

    /**
     * Most tokens per register tile: 2 accumulator vectors per token, plus the two weight vectors and a broadcast,
     * must fit the vector registers. AVX2 has 16: 5 tokens (C2 spilled four of the twelve accumulators of a 6-token
     * tile, which measured slower than 5 and 4). AVX-512 (and the 128-bit NEON/SVE of AArch64) have 32: 12 tokens
     * (24 accumulators), which measured 93 GMAC per CPU-second against 75 for 4-token tiles.
     */
    static final int MAX_TILE = Integer.getInteger("fairlane.cpu.maxTile", registers() >= 32 ? 12 : 5);
    /** Bytes between the loads that pull the next panel into the cache (0: none); see {@link #touch}. */
    static final int TOUCH_STRIDE = Integer.getInteger("fairlane.cpu.touchStride", 64);

    private static int registers() {
        String arch = System.getProperty("os.arch", "");
        boolean x86 = arch.equals("amd64") || arch.equals("x86_64") || arch.equals("x86");
        return x86 && F.vectorBitSize() < 512 ? 16 : 32;
    }

    /** Most tokens per block, bounding {@link #accScratch}. */
    private static final int MAX_BLOCK = 64;

    /** Scratch for {@link #matmul}: one panel's outputs for a token block. */
    static float[] accScratch() {
        return new float[MAX_BLOCK * P];
    }

    private PanelKernels() {
    }

    /** Bytes of the packed form of a {@code [rows, cols]} bf16 matrix. */
    static long packedBytes(int rows, int cols) {
        return (long) panels(rows) * cols * P * 2;
    }

    static int panels(int rows) {
        return (rows + P - 1) / P;
    }

    /** Packs panel {@code p}; panels are independent, so callers may pack them in parallel. */
    static void packPanel(MemorySegment src, int rows, int cols, MemorySegment dst, int p) {
        long panelBase = (long) p * cols * P * 2;
        for (int j = 0; j < L; j++) {
            int lo = p * P + j;
            int hi = lo + L;
            long loBase = (long) lo * cols * 2;
            long hiBase = (long) hi * cols * 2;
            for (int k = 0; k < cols; k++) {
                int a = lo < rows ? src.get(VectorKernels.SHORT_LE, loBase + 2L * k) & 0xffff : 0;
                int b = hi < rows ? src.get(VectorKernels.SHORT_LE, hiBase + 2L * k) & 0xffff : 0;
                dst.set(INT_LE, panelBase + (long) k * P * 2 + j * 4L, a | (b << 16));
            }
        }
    }

    /**
     * {@code out[t * outStride + outOffset + r] = sum_k x[t * cols + k] * W[r, k]} for rows {@code [r0, r1)} and
     * tokens {@code [0, tokens)}; {@code r0} is a multiple of {@link #P}.
     *
     * @param acc the calling worker's {@link #accScratch()}
     */
    static void matmul(MemorySegment w, int rows, int cols, float[] x, int tokens, float[] out, int outStride,
                       int outOffset, int r0, int r1, float[] acc) {
        if (r0 % P != 0) {
            throw new IllegalArgumentException("r0 must be a multiple of " + P + ", was " + r0);
        }
        int block = Math.clamp(TILE_BYTES / (cols * 4), MAX_TILE, MAX_BLOCK);
        int p1 = panels(Math.min(rows, r1));
        for (int t0 = 0; t0 < tokens; t0 += block) {
            int tb = Math.min(tokens, t0 + block) - t0;
            int p = r0 / P;
            if (tb == 1) {
                for (; p + 2 <= p1; p += 2) {
                    k1p2(w, cols, p, x, t0 * cols, out, t0 * outStride + outOffset, r1);
                }
                for (; p < p1; p++) {
                    k1p1(w, cols, p, x, t0 * cols, out, t0 * outStride + outOffset, r1);
                }
                continue;
            }
            // Token tiles of near-equal size, at most MAX_TILE tokens each; each panel is read from memory by the
            // first tile and from the cache by the others.
            int tiles = (tb + MAX_TILE - 1) / MAX_TILE;
            touch(w, base(p, cols), (long) cols * P * 2);
            for (; p < p1; p++) {
                long b = base(p, cols);
                if (p + 1 < p1) {
                    touch(w, b + (long) cols * P * 2, (long) cols * P * 2);
                }
                int t = 0;
                for (int i = 0; i < tiles; i++) {
                    int n = (tb - t + (tiles - i) - 1) / (tiles - i);
                    PanelTiles.tile(n, w, b, x, (t0 + t) * cols, cols, acc, t * P);
                    t += n;
                }
                int r = p * P;
                int n = Math.min(P, r1 - r);
                for (t = 0; t < tb; t++) {
                    System.arraycopy(acc, t * P, out, (t0 + t) * outStride + outOffset + r, n);
                }
            }
        }
    }

    /** Keeps {@link #touch}'s loads alive: C2 drops a load whose value goes nowhere. */
    @SuppressWarnings("unused")
    private static int touched;

    /**
     * Reads one byte per cache line of {@code [from, from + bytes)}, the panel the next tiles will read. Java has
     * no prefetch instruction, and a tile's loop, many fused multiply-adds per line, keeps too few of its own
     * loads in flight to hide memory latency: a demand miss stalls it. This loop of bare loads keeps many lines
     * in flight at once, so the panel arrives at the memory's bandwidth, and the tiles then read it from the L2
     * cache. On this project's AVX-512 development machine it lifted 16-token matmuls over weights far larger
     * than the caches by about 10 %.
     */
    private static void touch(MemorySegment w, long from, long bytes) {
        if (TOUCH_STRIDE <= 0) {
            return;
        }
        int s = 0;
        for (long o = 0; o < bytes; o += TOUCH_STRIDE) {
            s += w.get(ValueLayout.JAVA_BYTE, from + o);
        }
        touched = s;
    }

    private static long base(int p, int cols) {
        return (long) p * cols * P * 2;
    }

    private static FloatVector lo(IntVector v) {
        return v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static FloatVector hi(IntVector v) {
        return v.lanewise(VectorOperators.AND, HI).reinterpretAsFloats();
    }

    private static IntVector load(MemorySegment w, long off) {
        return IntVector.fromMemorySegment(I, w, off, LE);
    }

    /** Stores one panel's outputs for one token: rows {@code [p·P, min(p·P + P, r1))} at {@code out[o + row]}. */
    private static void store(FloatVector a, FloatVector b, float[] out, int o, int p, int r1) {
        int r = p * P;
        if (r + P <= r1) {
            a.intoArray(out, o + r);
            b.intoArray(out, o + r + L);
            return;
        }
        for (int j = 0; r + j < r1; j++) {
            out[o + r + j] = j < L ? a.lane(j) : b.lane(j - L);
        }
    }

    /** One token, one panel (two dependency chains: latency-bound; used for leftovers only). */
    private static void k1p1(MemorySegment w, int cols, int p, float[] x, int xo, float[] out, int oo, int r1) {
        long b = base(p, cols);
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        for (int k = 0; k < cols; k++) {
            IntVector v = load(w, b + (long) k * P * 2);
            FloatVector s = FloatVector.broadcast(F, x[xo + k]);
            a0 = lo(v).fma(s, a0);
            a1 = hi(v).fma(s, a1);
        }
        store(a0, a1, out, oo, p, r1);
    }

    /**
     * One token, two panels: the decode kernel, four independent chains. Four panels (eight chains) measured
     * slower: C2 unrolls the loop four times and then spills accumulators.
     */
    private static void k1p2(MemorySegment w, int cols, int p, float[] x, int xo, float[] out, int oo, int r1) {
        long b0 = base(p, cols);
        long b1 = b0 + (long) cols * P * 2;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int k = 0; k < cols; k++) {
            long kk = (long) k * P * 2;
            FloatVector s = FloatVector.broadcast(F, x[xo + k]);
            IntVector v = load(w, b0 + kk);
            a0 = lo(v).fma(s, a0);
            a1 = hi(v).fma(s, a1);
            v = load(w, b1 + kk);
            a2 = lo(v).fma(s, a2);
            a3 = hi(v).fma(s, a3);
        }
        store(a0, a1, out, oo, p, r1);
        store(a2, a3, out, oo, p + 1, r1);
    }
}
