package io.fairlane.engine.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register tiles of {@link PanelKernels} for 2 to 12 tokens: one kernel per tile width, because a Java
 * local is the only way to keep a value in a vector register and C2 allocates them only when each is named.
 * Written out one line per token (the same statements for every width), so a width can be read against another.
 *
 * <p>Each kernel runs one panel ({@code b} = its byte offset) against {@code n} tokens whose activations start at
 * {@code x[xo + t·cols]}, and leaves token t's panel outputs at {@code acc[ao + t·P, ao + t·P + P)}. Every output is
 * one fused multiply-add chain over k = 0 … cols − 1 from zero, as in every other kernel of {@link PanelKernels},
 * so the width that computes a token never shows in its result.
 *
 * <p>Per column: one panel load, two integer ops, then per token one broadcast and two fused multiply-adds. Widths
 * above 5 only pay on CPUs with 32 vector registers (AVX-512); {@link PanelKernels#MAX_TILE} picks the bound.
 */
final class PanelTiles {

    private static final VectorSpecies<Float> F = PanelKernels.F;
    private static final VectorSpecies<Integer> I = PanelKernels.I;
    private static final int L = PanelKernels.L;
    private static final int P = PanelKernels.P;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int HI = 0xffff0000;

    private PanelTiles() {
    }

    /** Runs the {@code n}-token tile: panel at byte {@code b} against tokens at {@code x[xo + t·cols]}. */
    static void tile(int n, MemorySegment w, long b, float[] x, int xo, int cols, float[] acc, int ao) {
        switch (n) {
            case 2 -> t2(w, b, x, xo, cols, acc, ao);
            case 3 -> t3(w, b, x, xo, cols, acc, ao);
            case 4 -> t4(w, b, x, xo, cols, acc, ao);
            case 5 -> t5(w, b, x, xo, cols, acc, ao);
            case 6 -> t6(w, b, x, xo, cols, acc, ao);
            case 7 -> t7(w, b, x, xo, cols, acc, ao);
            case 8 -> t8(w, b, x, xo, cols, acc, ao);
            case 9 -> t9(w, b, x, xo, cols, acc, ao);
            case 10 -> t10(w, b, x, xo, cols, acc, ao);
            case 11 -> t11(w, b, x, xo, cols, acc, ao);
            case 12 -> t12(w, b, x, xo, cols, acc, ao);
            default -> throw new IllegalArgumentException("tile of " + n + " tokens");
        }
    }

    private static IntVector load(MemorySegment w, long off) {
        return IntVector.fromMemorySegment(I, w, off, LE);
    }

    private static FloatVector lo(IntVector v) {
        return v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static FloatVector hi(IntVector v) {
        return v.lanewise(VectorOperators.AND, HI).reinterpretAsFloats();
    }

    private static void t2(MemorySegment w, long b, float[] x, int xo, int cols, float[] acc, int ao) {
        int x1 = xo + 1 * cols;
        FloatVector a0l = FloatVector.zero(F), a0h = a0l;
        FloatVector a1l = FloatVector.zero(F), a1h = a1l;
        for (int k = 0; k < cols; k++) {
            IntVector v = load(w, b + (long) k * P * 2);
            FloatVector lo = lo(v), hi = hi(v), s;
            s = FloatVector.broadcast(F, x[xo + k]); a0l = lo.fma(s, a0l); a0h = hi.fma(s, a0h);
            s = FloatVector.broadcast(F, x[x1 + k]); a1l = lo.fma(s, a1l); a1h = hi.fma(s, a1h);
        }
        a0l.intoArray(acc, ao + 0 * L); a0h.intoArray(acc, ao + 1 * L);
        a1l.intoArray(acc, ao + 2 * L); a1h.intoArray(acc, ao + 3 * L);
    }

    private static void t3(MemorySegment w, long b, float[] x, int xo, int cols, float[] acc, int ao) {
        int x1 = xo + 1 * cols;
        int x2 = xo + 2 * cols;
        FloatVector a0l = FloatVector.zero(F), a0h = a0l;
        FloatVector a1l = FloatVector.zero(F), a1h = a1l;
        FloatVector a2l = FloatVector.zero(F), a2h = a2l;
        for (int k = 0; k < cols; k++) {
            IntVector v = load(w, b + (long) k * P * 2);
            FloatVector lo = lo(v), hi = hi(v), s;
            s = FloatVector.broadcast(F, x[xo + k]); a0l = lo.fma(s, a0l); a0h = hi.fma(s, a0h);
            s = FloatVector.broadcast(F, x[x1 + k]); a1l = lo.fma(s, a1l); a1h = hi.fma(s, a1h);
            s = FloatVector.broadcast(F, x[x2 + k]); a2l = lo.fma(s, a2l); a2h = hi.fma(s, a2h);
        }
        a0l.intoArray(acc, ao + 0 * L); a0h.intoArray(acc, ao + 1 * L);
        a1l.intoArray(acc, ao + 2 * L); a1h.intoArray(acc, ao + 3 * L);
        a2l.intoArray(acc, ao + 4 * L); a2h.intoArray(acc, ao + 5 * L);
    }

    private static void t4(MemorySegment w, long b, float[] x, int xo, int cols, float[] acc, int ao) {
        int x1 = xo + 1 * cols;
        int x2 = xo + 2 * cols;
        int x3 = xo + 3 * cols;
        FloatVector a0l = FloatVector.zero(F), a0h = a0l;
        FloatVector a1l = FloatVector.zero(F), a1h = a1l;
        FloatVector a2l = FloatVector.zero(F), a2h = a2l;
        FloatVector a3l = FloatVector.zero(F), a3h = a3l;
        for (int k = 0; k < cols; k++) {
            IntVector v = load(w, b + (long) k * P * 2);
            FloatVector lo = lo(v), hi = hi(v), s;
            s = FloatVector.broadcast(F, x[xo + k]); a0l = lo.fma(s, a0l); a0h = hi.fma(s, a0h);
            s = FloatVector.broadcast(F, x[x1 + k]); a1l = lo.fma(s, a1l); a1h = hi.fma(s, a1h);
            s = FloatVector.broadcast(F, x[x2 + k]); a2l = lo.fma(s, a2l); a2h = hi.fma(s, a2h);
            s = FloatVector.broadcast(F, x[x3 + k]); a3l = lo.fma(s, a3l); a3h = hi.fma(s, a3h);
        }
        a0l.intoArray(acc, ao + 0 * L); a0h.intoArray(acc, ao + 1 * L);
        a1l.intoArray(acc, ao + 2 * L); a1h.intoArray(acc, ao + 3 * L);
        a2l.intoArray(acc, ao + 4 * L); a2h.intoArray(acc, ao + 5 * L);
        a3l.intoArray(acc, ao + 6 * L); a3h.intoArray(acc, ao + 7 * L);
    }

    private static void t5(MemorySegment w, long b, float[] x, int xo, int cols, float[] acc, int ao) {
        int x1 = xo + 1 * cols;
        int x2 = xo + 2 * cols;
        int x3 = xo + 3 * cols;
        int x4 = xo + 4 * cols;
        FloatVector a0l = FloatVector.zero(F), a0h = a0l;
        FloatVector a1l = FloatVector.zero(F), a1h = a1l;
        FloatVector a2l = FloatVector.zero(F), a2h = a2l;
        FloatVector a3l = FloatVector.zero(F), a3h = a3l;
        FloatVector a4l = FloatVector.zero(F), a4h = a4l;
        for (int k = 0; k < cols; k++) {
            IntVector v = load(w, b + (long) k * P * 2);
            FloatVector lo = lo(v), hi = hi(v), s;
            s = FloatVector.broadcast(F, x[xo + k]); a0l = lo.fma(s, a0l); a0h = hi.fma(s, a0h);
            s = FloatVector.broadcast(F, x[x1 + k]); a1l = lo.fma(s, a1l); a1h = hi.fma(s, a1h);
            s = FloatVector.broadcast(F, x[x2 + k]); a2l = lo.fma(s, a2l); a2h = hi.fma(s, a2h);
            s = FloatVector.broadcast(F, x[x3 + k]); a3l = lo.fma(s, a3l); a3h = hi.fma(s, a3h);
            s = FloatVector.broadcast(F, x[x4 + k]); a4l = lo.fma(s, a4l); a4h = hi.fma(s, a4h);
        }
        a0l.intoArray(acc, ao + 0 * L); a0h.intoArray(acc, ao + 1 * L);
        a1l.intoArray(acc, ao + 2 * L); a1h.intoArray(acc, ao + 3 * L);
        a2l.intoArray(acc, ao + 4 * L); a2h.intoArray(acc, ao + 5 * L);
        a3l.intoArray(acc, ao + 6 * L); a3h.intoArray(acc, ao + 7 * L);
        a4l.intoArray(acc, ao + 8 * L); a4h.intoArray(acc, ao + 9 * L);
    }

    private static void t6(MemorySegment w, long b, float[] x, int xo, int cols, float[] acc, int ao) {
        int x1 = xo + 1 * cols;
        int x2 = xo + 2 * cols;
        int x3 = xo + 3 * cols;
        int x4 = xo + 4 * cols;
        int x5 = xo + 5 * cols;
        FloatVector a0l = FloatVector.zero(F), a0h = a0l;
        FloatVector a1l = FloatVector.zero(F), a1h = a1l;
        FloatVector a2l = FloatVector.zero(F), a2h = a2l;
        FloatVector a3l = FloatVector.zero(F), a3h = a3l;
        FloatVector a4l = FloatVector.zero(F), a4h = a4l;
        FloatVector a5l = FloatVector.zero(F), a5h = a5l;
        for (int k = 0; k < cols; k++) {
            IntVector v = load(w, b + (long) k * P * 2);
            FloatVector lo = lo(v), hi = hi(v), s;
            s = FloatVector.broadcast(F, x[xo + k]); a0l = lo.fma(s, a0l); a0h = hi.fma(s, a0h);
            s = FloatVector.broadcast(F, x[x1 + k]); a1l = lo.fma(s, a1l); a1h = hi.fma(s, a1h);
            s = FloatVector.broadcast(F, x[x2 + k]); a2l = lo.fma(s, a2l); a2h = hi.fma(s, a2h);
            s = FloatVector.broadcast(F, x[x3 + k]); a3l = lo.fma(s, a3l); a3h = hi.fma(s, a3h);
            s = FloatVector.broadcast(F, x[x4 + k]); a4l = lo.fma(s, a4l); a4h = hi.fma(s, a4h);
            s = FloatVector.broadcast(F, x[x5 + k]); a5l = lo.fma(s, a5l); a5h = hi.fma(s, a5h);
        }
        a0l.intoArray(acc, ao + 0 * L); a0h.intoArray(acc, ao + 1 * L);
        a1l.intoArray(acc, ao + 2 * L); a1h.intoArray(acc, ao + 3 * L);
        a2l.intoArray(acc, ao + 4 * L); a2h.intoArray(acc, ao + 5 * L);
        a3l.intoArray(acc, ao + 6 * L); a3h.intoArray(acc, ao + 7 * L);
        a4l.intoArray(acc, ao + 8 * L); a4h.intoArray(acc, ao + 9 * L);
        a5l.intoArray(acc, ao + 10 * L); a5h.intoArray(acc, ao + 11 * L);
    }

    private static void t7(MemorySegment w, long b, float[] x, int xo, int cols, float[] acc, int ao) {
        int x1 = xo + 1 * cols;
        int x2 = xo + 2 * cols;
        int x3 = xo + 3 * cols;
        int x4 = xo + 4 * cols;
        int x5 = xo + 5 * cols;
        int x6 = xo + 6 * cols;
        FloatVector a0l = FloatVector.zero(F), a0h = a0l;
        FloatVector a1l = FloatVector.zero(F), a1h = a1l;
        FloatVector a2l = FloatVector.zero(F), a2h = a2l;
        FloatVector a3l = FloatVector.zero(F), a3h = a3l;
        FloatVector a4l = FloatVector.zero(F), a4h = a4l;
        FloatVector a5l = FloatVector.zero(F), a5h = a5l;
        FloatVector a6l = FloatVector.zero(F), a6h = a6l;
        for (int k = 0; k < cols; k++) {
            IntVector v = load(w, b + (long) k * P * 2);
            FloatVector lo = lo(v), hi = hi(v), s;
            s = FloatVector.broadcast(F, x[xo + k]); a0l = lo.fma(s, a0l); a0h = hi.fma(s, a0h);
            s = FloatVector.broadcast(F, x[x1 + k]); a1l = lo.fma(s, a1l); a1h = hi.fma(s, a1h);
            s = FloatVector.broadcast(F, x[x2 + k]); a2l = lo.fma(s, a2l); a2h = hi.fma(s, a2h);
            s = FloatVector.broadcast(F, x[x3 + k]); a3l = lo.fma(s, a3l); a3h = hi.fma(s, a3h);
            s = FloatVector.broadcast(F, x[x4 + k]); a4l = lo.fma(s, a4l); a4h = hi.fma(s, a4h);
            s = FloatVector.broadcast(F, x[x5 + k]); a5l = lo.fma(s, a5l); a5h = hi.fma(s, a5h);
            s = FloatVector.broadcast(F, x[x6 + k]); a6l = lo.fma(s, a6l); a6h = hi.fma(s, a6h);
        }
        a0l.intoArray(acc, ao + 0 * L); a0h.intoArray(acc, ao + 1 * L);
        a1l.intoArray(acc, ao + 2 * L); a1h.intoArray(acc, ao + 3 * L);
        a2l.intoArray(acc, ao + 4 * L); a2h.intoArray(acc, ao + 5 * L);
        a3l.intoArray(acc, ao + 6 * L); a3h.intoArray(acc, ao + 7 * L);
        a4l.intoArray(acc, ao + 8 * L); a4h.intoArray(acc, ao + 9 * L);
        a5l.intoArray(acc, ao + 10 * L); a5h.intoArray(acc, ao + 11 * L);
        a6l.intoArray(acc, ao + 12 * L); a6h.intoArray(acc, ao + 13 * L);
    }

    private static void t8(MemorySegment w, long b, float[] x, int xo, int cols, float[] acc, int ao) {
        int x1 = xo + 1 * cols;
        int x2 = xo + 2 * cols;
        int x3 = xo + 3 * cols;
        int x4 = xo + 4 * cols;
        int x5 = xo + 5 * cols;
        int x6 = xo + 6 * cols;
        int x7 = xo + 7 * cols;
        FloatVector a0l = FloatVector.zero(F), a0h = a0l;
        FloatVector a1l = FloatVector.zero(F), a1h = a1l;
        FloatVector a2l = FloatVector.zero(F), a2h = a2l;
        FloatVector a3l = FloatVector.zero(F), a3h = a3l;
        FloatVector a4l = FloatVector.zero(F), a4h = a4l;
        FloatVector a5l = FloatVector.zero(F), a5h = a5l;
        FloatVector a6l = FloatVector.zero(F), a6h = a6l;
        FloatVector a7l = FloatVector.zero(F), a7h = a7l;
        for (int k = 0; k < cols; k++) {
            IntVector v = load(w, b + (long) k * P * 2);
            FloatVector lo = lo(v), hi = hi(v), s;
            s = FloatVector.broadcast(F, x[xo + k]); a0l = lo.fma(s, a0l); a0h = hi.fma(s, a0h);
            s = FloatVector.broadcast(F, x[x1 + k]); a1l = lo.fma(s, a1l); a1h = hi.fma(s, a1h);
            s = FloatVector.broadcast(F, x[x2 + k]); a2l = lo.fma(s, a2l); a2h = hi.fma(s, a2h);
            s = FloatVector.broadcast(F, x[x3 + k]); a3l = lo.fma(s, a3l); a3h = hi.fma(s, a3h);
            s = FloatVector.broadcast(F, x[x4 + k]); a4l = lo.fma(s, a4l); a4h = hi.fma(s, a4h);
            s = FloatVector.broadcast(F, x[x5 + k]); a5l = lo.fma(s, a5l); a5h = hi.fma(s, a5h);
            s = FloatVector.broadcast(F, x[x6 + k]); a6l = lo.fma(s, a6l); a6h = hi.fma(s, a6h);
            s = FloatVector.broadcast(F, x[x7 + k]); a7l = lo.fma(s, a7l); a7h = hi.fma(s, a7h);
        }
        a0l.intoArray(acc, ao + 0 * L); a0h.intoArray(acc, ao + 1 * L);
        a1l.intoArray(acc, ao + 2 * L); a1h.intoArray(acc, ao + 3 * L);
        a2l.intoArray(acc, ao + 4 * L); a2h.intoArray(acc, ao + 5 * L);
        a3l.intoArray(acc, ao + 6 * L); a3h.intoArray(acc, ao + 7 * L);
        a4l.intoArray(acc, ao + 8 * L); a4h.intoArray(acc, ao + 9 * L);
        a5l.intoArray(acc, ao + 10 * L); a5h.intoArray(acc, ao + 11 * L);
        a6l.intoArray(acc, ao + 12 * L); a6h.intoArray(acc, ao + 13 * L);
        a7l.intoArray(acc, ao + 14 * L); a7h.intoArray(acc, ao + 15 * L);
    }

    private static void t9(MemorySegment w, long b, float[] x, int xo, int cols, float[] acc, int ao) {
        int x1 = xo + 1 * cols;
        int x2 = xo + 2 * cols;
        int x3 = xo + 3 * cols;
        int x4 = xo + 4 * cols;
        int x5 = xo + 5 * cols;
        int x6 = xo + 6 * cols;
        int x7 = xo + 7 * cols;
        int x8 = xo + 8 * cols;
        FloatVector a0l = FloatVector.zero(F), a0h = a0l;
        FloatVector a1l = FloatVector.zero(F), a1h = a1l;
        FloatVector a2l = FloatVector.zero(F), a2h = a2l;
        FloatVector a3l = FloatVector.zero(F), a3h = a3l;
        FloatVector a4l = FloatVector.zero(F), a4h = a4l;
        FloatVector a5l = FloatVector.zero(F), a5h = a5l;
        FloatVector a6l = FloatVector.zero(F), a6h = a6l;
        FloatVector a7l = FloatVector.zero(F), a7h = a7l;
        FloatVector a8l = FloatVector.zero(F), a8h = a8l;
        for (int k = 0; k < cols; k++) {
            IntVector v = load(w, b + (long) k * P * 2);
            FloatVector lo = lo(v), hi = hi(v), s;
            s = FloatVector.broadcast(F, x[xo + k]); a0l = lo.fma(s, a0l); a0h = hi.fma(s, a0h);
            s = FloatVector.broadcast(F, x[x1 + k]); a1l = lo.fma(s, a1l); a1h = hi.fma(s, a1h);
            s = FloatVector.broadcast(F, x[x2 + k]); a2l = lo.fma(s, a2l); a2h = hi.fma(s, a2h);
            s = FloatVector.broadcast(F, x[x3 + k]); a3l = lo.fma(s, a3l); a3h = hi.fma(s, a3h);
            s = FloatVector.broadcast(F, x[x4 + k]); a4l = lo.fma(s, a4l); a4h = hi.fma(s, a4h);
            s = FloatVector.broadcast(F, x[x5 + k]); a5l = lo.fma(s, a5l); a5h = hi.fma(s, a5h);
            s = FloatVector.broadcast(F, x[x6 + k]); a6l = lo.fma(s, a6l); a6h = hi.fma(s, a6h);
            s = FloatVector.broadcast(F, x[x7 + k]); a7l = lo.fma(s, a7l); a7h = hi.fma(s, a7h);
            s = FloatVector.broadcast(F, x[x8 + k]); a8l = lo.fma(s, a8l); a8h = hi.fma(s, a8h);
        }
        a0l.intoArray(acc, ao + 0 * L); a0h.intoArray(acc, ao + 1 * L);
        a1l.intoArray(acc, ao + 2 * L); a1h.intoArray(acc, ao + 3 * L);
        a2l.intoArray(acc, ao + 4 * L); a2h.intoArray(acc, ao + 5 * L);
        a3l.intoArray(acc, ao + 6 * L); a3h.intoArray(acc, ao + 7 * L);
        a4l.intoArray(acc, ao + 8 * L); a4h.intoArray(acc, ao + 9 * L);
        a5l.intoArray(acc, ao + 10 * L); a5h.intoArray(acc, ao + 11 * L);
        a6l.intoArray(acc, ao + 12 * L); a6h.intoArray(acc, ao + 13 * L);
        a7l.intoArray(acc, ao + 14 * L); a7h.intoArray(acc, ao + 15 * L);
        a8l.intoArray(acc, ao + 16 * L); a8h.intoArray(acc, ao + 17 * L);
    }

    private static void t10(MemorySegment w, long b, float[] x, int xo, int cols, float[] acc, int ao) {
        int x1 = xo + 1 * cols;
        int x2 = xo + 2 * cols;
        int x3 = xo + 3 * cols;
        int x4 = xo + 4 * cols;
        int x5 = xo + 5 * cols;
        int x6 = xo + 6 * cols;
        int x7 = xo + 7 * cols;
        int x8 = xo + 8 * cols;
        int x9 = xo + 9 * cols;
        FloatVector a0l = FloatVector.zero(F), a0h = a0l;
        FloatVector a1l = FloatVector.zero(F), a1h = a1l;
        FloatVector a2l = FloatVector.zero(F), a2h = a2l;
        FloatVector a3l = FloatVector.zero(F), a3h = a3l;
        FloatVector a4l = FloatVector.zero(F), a4h = a4l;
        FloatVector a5l = FloatVector.zero(F), a5h = a5l;
        FloatVector a6l = FloatVector.zero(F), a6h = a6l;
        FloatVector a7l = FloatVector.zero(F), a7h = a7l;
        FloatVector a8l = FloatVector.zero(F), a8h = a8l;
        FloatVector a9l = FloatVector.zero(F), a9h = a9l;
        for (int k = 0; k < cols; k++) {
            IntVector v = load(w, b + (long) k * P * 2);
            FloatVector lo = lo(v), hi = hi(v), s;
            s = FloatVector.broadcast(F, x[xo + k]); a0l = lo.fma(s, a0l); a0h = hi.fma(s, a0h);
            s = FloatVector.broadcast(F, x[x1 + k]); a1l = lo.fma(s, a1l); a1h = hi.fma(s, a1h);
            s = FloatVector.broadcast(F, x[x2 + k]); a2l = lo.fma(s, a2l); a2h = hi.fma(s, a2h);
            s = FloatVector.broadcast(F, x[x3 + k]); a3l = lo.fma(s, a3l); a3h = hi.fma(s, a3h);
            s = FloatVector.broadcast(F, x[x4 + k]); a4l = lo.fma(s, a4l); a4h = hi.fma(s, a4h);
            s = FloatVector.broadcast(F, x[x5 + k]); a5l = lo.fma(s, a5l); a5h = hi.fma(s, a5h);
            s = FloatVector.broadcast(F, x[x6 + k]); a6l = lo.fma(s, a6l); a6h = hi.fma(s, a6h);
            s = FloatVector.broadcast(F, x[x7 + k]); a7l = lo.fma(s, a7l); a7h = hi.fma(s, a7h);
            s = FloatVector.broadcast(F, x[x8 + k]); a8l = lo.fma(s, a8l); a8h = hi.fma(s, a8h);
            s = FloatVector.broadcast(F, x[x9 + k]); a9l = lo.fma(s, a9l); a9h = hi.fma(s, a9h);
        }
        a0l.intoArray(acc, ao + 0 * L); a0h.intoArray(acc, ao + 1 * L);
        a1l.intoArray(acc, ao + 2 * L); a1h.intoArray(acc, ao + 3 * L);
        a2l.intoArray(acc, ao + 4 * L); a2h.intoArray(acc, ao + 5 * L);
        a3l.intoArray(acc, ao + 6 * L); a3h.intoArray(acc, ao + 7 * L);
        a4l.intoArray(acc, ao + 8 * L); a4h.intoArray(acc, ao + 9 * L);
        a5l.intoArray(acc, ao + 10 * L); a5h.intoArray(acc, ao + 11 * L);
        a6l.intoArray(acc, ao + 12 * L); a6h.intoArray(acc, ao + 13 * L);
        a7l.intoArray(acc, ao + 14 * L); a7h.intoArray(acc, ao + 15 * L);
        a8l.intoArray(acc, ao + 16 * L); a8h.intoArray(acc, ao + 17 * L);
        a9l.intoArray(acc, ao + 18 * L); a9h.intoArray(acc, ao + 19 * L);
    }

    private static void t11(MemorySegment w, long b, float[] x, int xo, int cols, float[] acc, int ao) {
        int x1 = xo + 1 * cols;
        int x2 = xo + 2 * cols;
        int x3 = xo + 3 * cols;
        int x4 = xo + 4 * cols;
        int x5 = xo + 5 * cols;
        int x6 = xo + 6 * cols;
        int x7 = xo + 7 * cols;
        int x8 = xo + 8 * cols;
        int x9 = xo + 9 * cols;
        int x10 = xo + 10 * cols;
        FloatVector a0l = FloatVector.zero(F), a0h = a0l;
        FloatVector a1l = FloatVector.zero(F), a1h = a1l;
        FloatVector a2l = FloatVector.zero(F), a2h = a2l;
        FloatVector a3l = FloatVector.zero(F), a3h = a3l;
        FloatVector a4l = FloatVector.zero(F), a4h = a4l;
        FloatVector a5l = FloatVector.zero(F), a5h = a5l;
        FloatVector a6l = FloatVector.zero(F), a6h = a6l;
        FloatVector a7l = FloatVector.zero(F), a7h = a7l;
        FloatVector a8l = FloatVector.zero(F), a8h = a8l;
        FloatVector a9l = FloatVector.zero(F), a9h = a9l;
        FloatVector a10l = FloatVector.zero(F), a10h = a10l;
        for (int k = 0; k < cols; k++) {
            IntVector v = load(w, b + (long) k * P * 2);
            FloatVector lo = lo(v), hi = hi(v), s;
            s = FloatVector.broadcast(F, x[xo + k]); a0l = lo.fma(s, a0l); a0h = hi.fma(s, a0h);
            s = FloatVector.broadcast(F, x[x1 + k]); a1l = lo.fma(s, a1l); a1h = hi.fma(s, a1h);
            s = FloatVector.broadcast(F, x[x2 + k]); a2l = lo.fma(s, a2l); a2h = hi.fma(s, a2h);
            s = FloatVector.broadcast(F, x[x3 + k]); a3l = lo.fma(s, a3l); a3h = hi.fma(s, a3h);
            s = FloatVector.broadcast(F, x[x4 + k]); a4l = lo.fma(s, a4l); a4h = hi.fma(s, a4h);
            s = FloatVector.broadcast(F, x[x5 + k]); a5l = lo.fma(s, a5l); a5h = hi.fma(s, a5h);
            s = FloatVector.broadcast(F, x[x6 + k]); a6l = lo.fma(s, a6l); a6h = hi.fma(s, a6h);
            s = FloatVector.broadcast(F, x[x7 + k]); a7l = lo.fma(s, a7l); a7h = hi.fma(s, a7h);
            s = FloatVector.broadcast(F, x[x8 + k]); a8l = lo.fma(s, a8l); a8h = hi.fma(s, a8h);
            s = FloatVector.broadcast(F, x[x9 + k]); a9l = lo.fma(s, a9l); a9h = hi.fma(s, a9h);
            s = FloatVector.broadcast(F, x[x10 + k]); a10l = lo.fma(s, a10l); a10h = hi.fma(s, a10h);
        }
        a0l.intoArray(acc, ao + 0 * L); a0h.intoArray(acc, ao + 1 * L);
        a1l.intoArray(acc, ao + 2 * L); a1h.intoArray(acc, ao + 3 * L);
        a2l.intoArray(acc, ao + 4 * L); a2h.intoArray(acc, ao + 5 * L);
        a3l.intoArray(acc, ao + 6 * L); a3h.intoArray(acc, ao + 7 * L);
        a4l.intoArray(acc, ao + 8 * L); a4h.intoArray(acc, ao + 9 * L);
        a5l.intoArray(acc, ao + 10 * L); a5h.intoArray(acc, ao + 11 * L);
        a6l.intoArray(acc, ao + 12 * L); a6h.intoArray(acc, ao + 13 * L);
        a7l.intoArray(acc, ao + 14 * L); a7h.intoArray(acc, ao + 15 * L);
        a8l.intoArray(acc, ao + 16 * L); a8h.intoArray(acc, ao + 17 * L);
        a9l.intoArray(acc, ao + 18 * L); a9h.intoArray(acc, ao + 19 * L);
        a10l.intoArray(acc, ao + 20 * L); a10h.intoArray(acc, ao + 21 * L);
    }

    private static void t12(MemorySegment w, long b, float[] x, int xo, int cols, float[] acc, int ao) {
        int x1 = xo + 1 * cols;
        int x2 = xo + 2 * cols;
        int x3 = xo + 3 * cols;
        int x4 = xo + 4 * cols;
        int x5 = xo + 5 * cols;
        int x6 = xo + 6 * cols;
        int x7 = xo + 7 * cols;
        int x8 = xo + 8 * cols;
        int x9 = xo + 9 * cols;
        int x10 = xo + 10 * cols;
        int x11 = xo + 11 * cols;
        FloatVector a0l = FloatVector.zero(F), a0h = a0l;
        FloatVector a1l = FloatVector.zero(F), a1h = a1l;
        FloatVector a2l = FloatVector.zero(F), a2h = a2l;
        FloatVector a3l = FloatVector.zero(F), a3h = a3l;
        FloatVector a4l = FloatVector.zero(F), a4h = a4l;
        FloatVector a5l = FloatVector.zero(F), a5h = a5l;
        FloatVector a6l = FloatVector.zero(F), a6h = a6l;
        FloatVector a7l = FloatVector.zero(F), a7h = a7l;
        FloatVector a8l = FloatVector.zero(F), a8h = a8l;
        FloatVector a9l = FloatVector.zero(F), a9h = a9l;
        FloatVector a10l = FloatVector.zero(F), a10h = a10l;
        FloatVector a11l = FloatVector.zero(F), a11h = a11l;
        for (int k = 0; k < cols; k++) {
            IntVector v = load(w, b + (long) k * P * 2);
            FloatVector lo = lo(v), hi = hi(v), s;
            s = FloatVector.broadcast(F, x[xo + k]); a0l = lo.fma(s, a0l); a0h = hi.fma(s, a0h);
            s = FloatVector.broadcast(F, x[x1 + k]); a1l = lo.fma(s, a1l); a1h = hi.fma(s, a1h);
            s = FloatVector.broadcast(F, x[x2 + k]); a2l = lo.fma(s, a2l); a2h = hi.fma(s, a2h);
            s = FloatVector.broadcast(F, x[x3 + k]); a3l = lo.fma(s, a3l); a3h = hi.fma(s, a3h);
            s = FloatVector.broadcast(F, x[x4 + k]); a4l = lo.fma(s, a4l); a4h = hi.fma(s, a4h);
            s = FloatVector.broadcast(F, x[x5 + k]); a5l = lo.fma(s, a5l); a5h = hi.fma(s, a5h);
            s = FloatVector.broadcast(F, x[x6 + k]); a6l = lo.fma(s, a6l); a6h = hi.fma(s, a6h);
            s = FloatVector.broadcast(F, x[x7 + k]); a7l = lo.fma(s, a7l); a7h = hi.fma(s, a7h);
            s = FloatVector.broadcast(F, x[x8 + k]); a8l = lo.fma(s, a8l); a8h = hi.fma(s, a8h);
            s = FloatVector.broadcast(F, x[x9 + k]); a9l = lo.fma(s, a9l); a9h = hi.fma(s, a9h);
            s = FloatVector.broadcast(F, x[x10 + k]); a10l = lo.fma(s, a10l); a10h = hi.fma(s, a10h);
            s = FloatVector.broadcast(F, x[x11 + k]); a11l = lo.fma(s, a11l); a11h = hi.fma(s, a11h);
        }
        a0l.intoArray(acc, ao + 0 * L); a0h.intoArray(acc, ao + 1 * L);
        a1l.intoArray(acc, ao + 2 * L); a1h.intoArray(acc, ao + 3 * L);
        a2l.intoArray(acc, ao + 4 * L); a2h.intoArray(acc, ao + 5 * L);
        a3l.intoArray(acc, ao + 6 * L); a3h.intoArray(acc, ao + 7 * L);
        a4l.intoArray(acc, ao + 8 * L); a4h.intoArray(acc, ao + 9 * L);
        a5l.intoArray(acc, ao + 10 * L); a5h.intoArray(acc, ao + 11 * L);
        a6l.intoArray(acc, ao + 12 * L); a6h.intoArray(acc, ao + 13 * L);
        a7l.intoArray(acc, ao + 14 * L); a7h.intoArray(acc, ao + 15 * L);
        a8l.intoArray(acc, ao + 16 * L); a8h.intoArray(acc, ao + 17 * L);
        a9l.intoArray(acc, ao + 18 * L); a9h.intoArray(acc, ao + 19 * L);
        a10l.intoArray(acc, ao + 20 * L); a10h.intoArray(acc, ao + 21 * L);
        a11l.intoArray(acc, ao + 22 * L); a11h.intoArray(acc, ao + 23 * L);
    }
}
