package io.fairlane.engine.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Test helper: moves Java arrays to and from a {@link DeviceRuntime} (bf16, f32, i32) and frees what it
 * allocated on close. Outputs are allocated "poisoned" (all bytes 0xFF: NaN as f32 and bf16, -1 as i32), so an
 * element a kernel forgets to write shows up.
 */
final class DeviceArrays implements AutoCloseable {

    private final DeviceRuntime device;
    private final List<Long> owned = new ArrayList<>();

    DeviceArrays(DeviceRuntime device) {
        this.device = device;
    }

    DeviceRuntime device() {
        return device;
    }

    long bf16(float[] values) {
        MemorySegment host = device.allocateHost(Math.max(2, 2L * values.length));
        for (int i = 0; i < values.length; i++) {
            host.setAtIndex(ValueLayout.JAVA_SHORT, i, Bf16.fromFloat(values[i]));
        }
        return upload(host, 2L * values.length, "bf16 input");
    }

    long f32(float[] values) {
        MemorySegment host = device.allocateHost(Math.max(4, 4L * values.length));
        MemorySegment.copy(values, 0, host, ValueLayout.JAVA_FLOAT, 0, values.length);
        return upload(host, 4L * values.length, "f32 input");
    }

    long i32(int[] values) {
        MemorySegment host = device.allocateHost(Math.max(4, 4L * values.length));
        MemorySegment.copy(values, 0, host, ValueLayout.JAVA_INT, 0, values.length);
        return upload(host, 4L * values.length, "i32 input");
    }

    long bytes(byte[] values) {
        MemorySegment host = device.allocateHost(Math.max(1, values.length));
        MemorySegment.copy(values, 0, host, ValueLayout.JAVA_BYTE, 0, values.length);
        return upload(host, values.length, "byte input");
    }

    /** Output buffer of {@code bytes}, every byte 0xFF. */
    long poisoned(long bytes) {
        long address = device.allocate(Math.max(bytes, 4), "test output");
        owned.add(address);
        device.fillBytes(address, 0xFF, Math.max(bytes, 4));
        return address;
    }

    private long upload(MemorySegment host, long bytes, String what) {
        long address = device.allocate(Math.max(bytes, 4), what);
        owned.add(address);
        device.copyToDevice(address, host, bytes);
        device.synchronize();
        return address;
    }

    float[] readBf16(long address, int count) {
        MemorySegment host = device.allocateHost(Math.max(2, 2L * count));
        device.copyToHost(host, address, 2L * count);
        device.synchronize();
        float[] out = new float[count];
        for (int i = 0; i < count; i++) {
            out[i] = Bf16.toFloat(host.getAtIndex(ValueLayout.JAVA_SHORT, i));
        }
        return out;
    }

    float[] readF32(long address, int count) {
        MemorySegment host = device.allocateHost(Math.max(4, 4L * count));
        device.copyToHost(host, address, 4L * count);
        device.synchronize();
        float[] out = new float[count];
        MemorySegment.copy(host, ValueLayout.JAVA_FLOAT, 0, out, 0, count);
        return out;
    }

    int[] readI32(long address, int count) {
        MemorySegment host = device.allocateHost(Math.max(4, 4L * count));
        device.copyToHost(host, address, 4L * count);
        device.synchronize();
        int[] out = new int[count];
        MemorySegment.copy(host, ValueLayout.JAVA_INT, 0, out, 0, count);
        return out;
    }

    @Override
    public void close() {
        for (long a : owned) {
            device.free(a);
        }
        owned.clear();
    }
}
