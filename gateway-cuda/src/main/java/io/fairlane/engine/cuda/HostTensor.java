package io.fairlane.engine.cuda;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * A weight tensor in host memory (typically a slice of a memory-mapped safetensors file), row-major.
 *
 * @param dtype element type
 * @param shape dimensions, outermost first
 * @param data  exactly the tensor's bytes
 */
public record HostTensor(DType dtype, long[] shape, MemorySegment data) {

    /** Element types the uploader converts to bf16. */
    public enum DType {
        BF16(2), F16(2), F32(4);

        final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }
    }

    public HostTensor {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(data, "data");
        shape = shape.clone();
        if (data.byteSize() != elements(shape) * dtype.bytes) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " and dtype " + dtype
                    + " needs " + elements(shape) * dtype.bytes + " bytes, has " + data.byteSize());
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elements() {
        return elements(shape);
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    @Override
    public String toString() {
        return "HostTensor[" + dtype + " " + Arrays.toString(shape) + "]";
    }
}
