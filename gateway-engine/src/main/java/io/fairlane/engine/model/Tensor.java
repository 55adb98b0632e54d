package io.fairlane.engine.model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor read in place from a memory-mapped safetensors file: row-major, little-endian, no copy.
 *
 * @param name  the tensor's name in the checkpoint ({@code model.layers.0.mlp.up_proj.weight})
 * @param dtype element type
 * @param shape dimensions, outermost first (a linear layer's weight is {@code [out, in]})
 * @param data  exactly the tensor's bytes, a slice of the file's mapping
 * @param file  the file it lives in, for messages
 */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data, Path file) {

    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public Tensor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(file, "file");
        shape = shape.clone();
        long expected = Math.multiplyExact(elementCount(shape), dtype.bytes());
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor " + name + " of shape " + Arrays.toString(shape) + " "
                    + dtype + " needs " + expected + " bytes, has " + data.byteSize());
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}. */
    public long dim(int i) {
        return shape[i];
    }

    public long elementCount() {
        return elementCount(shape);
    }

    /** Element {@code index} (flat, row-major) widened to float. */
    public float getFloat(long index) {
        return switch (dtype) {
            case F32 -> data.get(FLOAT_LE, index * 4);
            case BF16 -> Float.intBitsToFloat((data.get(SHORT_LE, index * 2) & 0xffff) << 16);
            case F16 -> Float.float16ToFloat(data.get(SHORT_LE, index * 2));
        };
    }

    /** The whole tensor widened to a heap float array (for small tensors: norms, biases). */
    public float[] toFloatArray() {
        long n = elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("tensor " + name + " is too large for a heap array");
        }
        float[] out = new float[(int) n];
        for (int i = 0; i < out.length; i++) {
            out[i] = getFloat(i);
        }
        return out;
    }

    static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && file.equals(t.file) && data.address() == t.data.address();
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return "Tensor[" + name + " " + dtype + " " + Arrays.toString(shape) + " in " + file.getFileName() + "]";
    }
}
