package io.fairlane.engine.cpu;

import io.fairlane.engine.model.DType;
import io.fairlane.engine.model.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A linear layer's weight {@code [rows = out, cols = in]}. {@link #data} is the row-major original, read in place
 * from its memory-mapped segment (bf16 and f32 as they are; f16 widened once to f32 at load, since the Vector API
 * has no cheap f16 widening on every CPU, doubling that matrix's memory). A bf16 matrix the matmuls read is also
 * repacked once, at load, into {@link PanelKernels} panels ({@link #panels}); the matmuls then read only the
 * panels, so the mapped original is not kept resident by them (the embedding lookup still reads its rows).
 */
final class Matrix {

    final String name;
    final int rows;
    final int cols;
    /** True for bf16 elements (2 bytes), false for f32 (4 bytes). */
    final boolean bf16;
    /** {@code [rows, cols]} little-endian elements. */
    final MemorySegment data;
    /** The bf16 weights in {@link PanelKernels}' layout, or null where the matmuls read {@link #data}. */
    final MemorySegment panels;

    /**
     * Whether bf16 matrices are repacked into panels at load (default true). Off, the matmuls read the mapped
     * file with the row-major dot-product tiles: no copy of the weights in memory and no packing time at load,
     * at a lower multiply-add rate.
     */
    static final boolean PACK_BF16 = !"false".equals(System.getProperty("fairlane.cpu.panels"));

    private Matrix(String name, int rows, int cols, boolean bf16, MemorySegment data, MemorySegment panels) {
        this.name = name;
        this.rows = rows;
        this.cols = cols;
        this.bf16 = bf16;
        this.data = data;
        this.panels = panels;
    }

    /**
     * Wraps a rank-2 tensor the matmuls read: like {@link #of}, and a bf16 one repacked into panels allocated in
     * {@code arena} (when {@link #PACK_BF16}), the panels packed in parallel on {@code pool}.
     */
    static Matrix forMatmul(Tensor t, Arena arena, WorkerPool pool) {
        return forMatmul(of(t, arena), arena, pool);
    }

    /** {@code m} itself, or for a bf16 {@code m} a copy with its panels packed (as the tensor overload does). */
    static Matrix forMatmul(Matrix m, Arena arena, WorkerPool pool) {
        if (!m.bf16 || !PACK_BF16 || m.panels != null) {
            return m;
        }
        MemorySegment packed = arena.allocate(PanelKernels.packedBytes(m.rows, m.cols), 64);
        pool.run(PanelKernels.panels(m.rows), (p, worker) -> PanelKernels.packPanel(m.data, m.rows, m.cols, packed, p));
        return new Matrix(m.name, m.rows, m.cols, true, m.data, packed);
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
            case BF16 -> new Matrix(t.name(), rows, cols, true, t.data(), null);
            case F32 -> new Matrix(t.name(), rows, cols, false, t.data(), null);
            case F16 -> {
                MemorySegment f32 = arena.allocate((long) rows * cols * 4, 64);
                ValueLayout.OfFloat le = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
                long n = (long) rows * cols;
                for (long i = 0; i < n; i++) {
                    f32.set(le, i * 4, t.getFloat(i));
                }
                yield new Matrix(t.name(), rows, cols, false, f32, null);
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

    /** Bytes of the repacked copy (0 when not packed). */
    long panelBytes() {
        return panels == null ? 0 : panels.byteSize();
    }
}
