package io.fairlane.engine.cpu;

import io.fairlane.engine.model.DType;
import io.fairlane.engine.model.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A linear layer's weight {@code [rows = out, cols = in]}, row-major, read in place from its memory-mapped
 * segment. bf16 and f32 are read as they are; f16 is widened once to f32 at load (the Vector API has no cheap
 * f16 widening on every CPU), doubling that matrix's memory.
 */
final class Matrix {

    final String name;
    final int rows;
    final int cols;
    /** True for bf16 elements (2 bytes), false for f32 (4 bytes). */
    final boolean bf16;
    /** {@code [rows, cols]} little-endian elements. */
    final MemorySegment data;

    private Matrix(String name, int rows, int cols, boolean bf16, MemorySegment data) {
        this.name = name;
        this.rows = rows;
        this.cols = cols;
        this.bf16 = bf16;
        this.data = data;
    }

    /** Wraps a rank-2 tensor; f16 is copied into {@code arena} as f32. */
    static Matrix of(Tensor t, Arena arena) {
        Objects.requireNonNull(t, "t");
        if (t.rank() != 2) {
            throw new IllegalArgumentException("tensor " + t.name() + " is not a matrix");
        }
        if (t.dim(0) > Integer.MAX_VALUE || t.dim(1) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor " + t.name() + " is too large");
        }
        int rows = (int) t.dim(0);
        int cols = (int) t.dim(1);
        return switch (t.dtype()) {
            case BF16 -> new Matrix(t.name(), rows, cols, true, t.data());
            case F32 -> new Matrix(t.name(), rows, cols, false, t.data());
            case F16 -> {
                MemorySegment f32 = arena.allocate((long) rows * cols * 4, 64);
                ValueLayout.OfFloat le = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
                long n = (long) rows * cols;
                for (long i = 0; i < n; i++) {
                    f32.set(le, i * 4, t.getFloat(i));
                }
                yield new Matrix(t.name(), rows, cols, false, f32);
            }
        };
    }

    /** Element {@code (r, c)} widened to float (scalar; for lookups and tests). */
    float get(int r, int c) {
        long i = (long) r * cols + c;
        if (bf16) {
            return Float.intBitsToFloat((data.get(VectorKernels.SHORT_LE, i * 2) & 0xffff) << 16);
        }
        return data.get(VectorKernels.FLOAT_LE, i * 4);
    }

    /** Copies row {@code r} widened to float into {@code out[offset, offset + cols)} (embedding lookup). */
    void row(int r, float[] out, int offset) {
        for (int c = 0; c < cols; c++) {
            out[offset + c] = get(r, c);
        }
    }

    DType dtype() {
        return bf16 ? DType.BF16 : DType.F32;
    }

    long bytes() {
        return (long) rows * cols * (bf16 ? 2 : 4);
    }
}
