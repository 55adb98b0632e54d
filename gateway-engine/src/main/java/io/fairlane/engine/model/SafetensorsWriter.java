package io.fairlane.engine.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Writes safetensors files whose tensor values come from a function of the element index, streaming: values are
 * generated and written a chunk at a time (by several threads at distinct file positions), so an 8-billion
 * parameter checkpoint never sits in memory.
 */
final class SafetensorsWriter {

    /** Elements per work unit: 4 MiB of f32 scratch per thread. */
    static final int CHUNK_ELEMENTS = 1 << 20;

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {
    }

    /** Produces the values of elements {@code [start, start + out.length)} of one tensor, row-major. */
    @FunctionalInterface
    interface Values {
        void fill(long start, float[] out, int count);
    }

    /** One tensor to write. */
    record Spec(String name, DType dtype, long[] shape, Values values) {
        Spec {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(dtype, "dtype");
            Objects.requireNonNull(values, "values");
            shape = shape.clone();
        }

        long elements() {
            return Tensor.elementCount(shape);
        }

        long bytes() {
            return elements() * dtype.bytes();
        }
    }

    /** The header bytes (length prefix excluded), padded with spaces to a multiple of 8 as the reference does. */
    static byte[] header(List<Spec> tensors) {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Spec s : tensors) {
            ObjectNode e = root.putObject(s.name());
            e.put("dtype", s.dtype().safetensorsName());
            ArrayNode shape = e.putArray("shape");
            for (long d : s.shape()) {
                shape.add(d);
            }
            ArrayNode off = e.putArray("data_offsets");
            off.add(offset);
            offset += s.bytes();
            off.add(offset);
        }
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & ~7;
        byte[] out = new byte[padded];
        System.arraycopy(json, 0, out, 0, json.length);
        for (int i = json.length; i < padded; i++) {
            out[i] = ' ';
        }
        return out;
    }

    /** Writes {@code tensors} to {@code file}, chunks spread over {@code pool}. */
    static void write(Path file, List<Spec> tensors, ExecutorService pool) throws IOException {
        byte[] header = header(tensors);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer head = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(header.length).put(header).flip();
            writeFully(ch, head, 0);
            long dataStart = 8L + header.length;
            List<Future<?>> parts = new ArrayList<>();
            long offset = 0;
            for (Spec s : tensors) {
                long n = s.elements();
                for (long start = 0; start < n; start += CHUNK_ELEMENTS) {
                    int count = (int) Math.min(CHUNK_ELEMENTS, n - start);
                    long position = dataStart + offset + start * s.dtype().bytes();
                    long chunkStart = start;
                    parts.add(pool.submit(() -> writeChunk(ch, s, chunkStart, count, position)));
                }
                offset += s.bytes();
            }
            for (Future<?> f : parts) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof UncheckedIOException io) {
                        throw io.getCause();
                    }
                    throw new IOException("writing " + file + " failed", e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while writing " + file, e);
                }
            }
            ch.force(false);
        }
    }

    private static void writeChunk(FileChannel ch, Spec s, long start, int count, long position) {
        float[] values = new float[count];
        s.values().fill(start, values, count);
        ByteBuffer buf = ByteBuffer.allocate(count * s.dtype().bytes()).order(ByteOrder.LITTLE_ENDIAN);
        switch (s.dtype()) {
            case F32 -> {
                for (int i = 0; i < count; i++) {
                    buf.putFloat(i * 4, values[i]);
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    buf.putShort(i * 2, toBf16(values[i]));
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    buf.putShort(i * 2, Float.floatToFloat16(values[i]));
                }
            }
            default -> throw new AssertionError(s.dtype());
        }
        try {
            writeFully(ch, buf, position);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Rounds a float to the nearest bfloat16 (ties to even); finite inputs only. */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        bits += 0x7fff + ((bits >>> 16) & 1);
        return (short) (bits >>> 16);
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            pos += ch.write(buf, pos);
        }
    }
}
