package io.fairlane.engine.cuda;

import java.lang.foreign.MemorySegment;

/**
 * What the forward pass needs from a device: memory, copies, kernel launches, ordering. {@link CudaDevice}
 * implements it on the CUDA driver; the tests implement it on a host emulator of the kernels, so the whole
 * forward pass (launch geometry, buffer layouts, kernel arguments) runs in the ordinary test suite.
 *
 * <p>All operations are ordered on one stream: copies and launches are asynchronous, and host memory handed
 * to a copy must stay untouched until {@link #synchronize()} (or an event recorded after it) completes.
 * Addresses are plain {@code long}s: device pointers on a GPU, host addresses in the emulator. Confined to
 * the thread that created it (the engine loop thread), like the CUDA context it holds.
 */
interface DeviceRuntime extends AutoCloseable {

    /** e.g. "NVIDIA H100 80GB HBM3 (sm_90, driver 13.0)". */
    String describe();

    /** Uninitialised device memory, 256-byte aligned. */
    long allocate(long bytes, String purpose);

    void free(long address);

    /** Bytes currently allocated through {@link #allocate}. */
    long allocatedBytes();

    /** Free and total device memory, in bytes. */
    MemoryInfo memoryInfo();

    /** Host memory suited to asynchronous copies (page-locked on a GPU); freed by {@link #close()}. */
    MemorySegment allocateHost(long bytes);

    void copyToDevice(long dst, MemorySegment src, long bytes);

    void copyToHost(MemorySegment dst, long src, long bytes);

    void copyOnDevice(long dst, long src, long bytes);

    void fillBytes(long dst, int value, long bytes);

    /** A kernel of the project's modules by its extern "C" name. */
    Kernel kernel(String name);

    void launch(Kernel kernel, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
                int sharedBytes, KernelArgs args);

    /** Waits for everything issued so far. */
    void synchronize();

    /** Marks the stream's current position; waiting on it waits for everything issued before. */
    DeviceEvent record();

    /** Whether {@link #beginCapture()} works (CUDA graphs). */
    default boolean supportsGraphs() {
        return false;
    }

    /** Starts recording the stream's work into a graph instead of running it. */
    default void beginCapture() {
        throw new UnsupportedOperationException("graphs need a CUDA device");
    }

    /** Ends a recording and instantiates it. */
    default DeviceGraph endCapture() {
        throw new UnsupportedOperationException("graphs need a CUDA device");
    }

    /** Frees every allocation and host buffer still held, then the context. Idempotent. */
    @Override
    void close();

    /** A resolved kernel. */
    interface Kernel {
        String name();
    }

    /** A point on the stream; close it when done with it. */
    interface DeviceEvent extends AutoCloseable {
        /** Blocks until the stream has passed this point. */
        void await();

        /** Whether the stream has passed this point. */
        boolean done();

        /** Milliseconds between {@code earlier} and this event (both awaited first). */
        float millisSince(DeviceEvent earlier);

        @Override
        void close();
    }

    /** A captured, instantiated sequence of stream work, replayed with fixed kernel arguments. */
    interface DeviceGraph extends AutoCloseable {
        void launch();

        @Override
        void close();
    }

    /** @param freeBytes device memory not yet taken; @param totalBytes the device's memory */
    record MemoryInfo(long freeBytes, long totalBytes) {
    }
}
