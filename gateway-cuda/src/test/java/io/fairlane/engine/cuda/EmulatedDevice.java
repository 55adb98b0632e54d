package io.fairlane.engine.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A {@link DeviceRuntime} whose kernels run on the host emulator ({@code src/test/cuda}, built by Maven into
 * {@code target/cuda-emu/libfairlane_cuda_emu.so}). "Device" memory is host memory with three checks a GPU
 * does not give for free: new allocations are filled with NaN bytes (a kernel that reads what nothing wrote
 * produces NaN), every allocation is fenced by guard bytes that are verified after every launch (a kernel
 * that writes past either end of a buffer fails the launch, naming both), and launches that deadlock or misuse
 * warp operations fail with the emulator's message. Everything runs synchronously; events are always done.
 */
final class EmulatedDevice implements DeviceRuntime {

    static final Path LIBRARY = Path.of("target", "cuda-emu", "libfairlane_cuda_emu.so");
    private static final long GUARD = 256;
    private static final byte GUARD_BYTE = (byte) 0xA5;

    private static MethodHandle launchHandle;
    private static MethodHandle lastErrorHandle;

    private final Arena arena = Arena.ofShared();
    private final Map<Long, MemorySegment> allocations = new LinkedHashMap<>();
    private final Map<Long, String> purposes = new HashMap<>();
    private long allocated;
    private boolean closed;

    /** Why the emulator cannot run here, if it cannot. */
    static Optional<String> unavailableReason() {
        if (!Files.isRegularFile(LIBRARY)) {
            return Optional.of("the CUDA emulator library " + LIBRARY.toAbsolutePath() + " was not built"
                    + " (no C++ compiler when Maven ran src/test/cuda/build-emulator.sh)");
        }
        return Optional.empty();
    }

    static synchronized EmulatedDevice open() {
        if (launchHandle == null) {
            SymbolLookup lib = SymbolLookup.libraryLookup(LIBRARY.toAbsolutePath(), Arena.global());
            Linker linker = Linker.nativeLinker();
            launchHandle = linker.downcallHandle(lib.find("emu_launch").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                            JAVA_INT, JAVA_INT, ADDRESS));
            lastErrorHandle = linker.downcallHandle(lib.find("emu_last_error").orElseThrow(),
                    FunctionDescriptor.of(ADDRESS));
        }
        return new EmulatedDevice();
    }

    @Override
    public String describe() {
        return "CUDA emulator (host)";
    }

    @Override
    public long allocate(long bytes, String purpose) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("allocation of " + bytes + " bytes for " + purpose);
        }
        MemorySegment whole = arena.allocate(bytes + 2 * GUARD, 256);
        whole.asSlice(0, GUARD).fill(GUARD_BYTE);
        whole.asSlice(GUARD + bytes, GUARD).fill(GUARD_BYTE);
        whole.asSlice(GUARD, bytes).fill((byte) 0xFF);
        long address = whole.address() + GUARD;
        allocations.put(address, whole);
        purposes.put(address, purpose);
        allocated += bytes;
        return address;
    }

    @Override
    public void free(long address) {
        MemorySegment whole = allocations.remove(address);
        if (whole == null) {
            throw new IllegalArgumentException("not an allocation: 0x" + Long.toHexString(address));
        }
        allocated -= whole.byteSize() - 2 * GUARD;
        purposes.remove(address);
    }

    @Override
    public long allocatedBytes() {
        return allocated;
    }

    @Override
    public MemoryInfo memoryInfo() {
        return new MemoryInfo(1L << 30, 1L << 30);
    }

    @Override
    public MemorySegment allocateHost(long bytes) {
        return arena.allocate(bytes, 256);
    }

    /** A view of device memory (host memory here), for tests to read and write directly. */
    MemorySegment view(long address, long bytes) {
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }

    @Override
    public void copyToDevice(long dst, MemorySegment src, long bytes) {
        MemorySegment.copy(src, 0, view(dst, bytes), 0, bytes);
    }

    @Override
    public void copyToHost(MemorySegment dst, long src, long bytes) {
        MemorySegment.copy(view(src, bytes), 0, dst, 0, bytes);
    }

    @Override
    public void copyOnDevice(long dst, long src, long bytes) {
        MemorySegment.copy(view(src, bytes), 0, view(dst, bytes), 0, bytes);
    }

    @Override
    public void fillBytes(long dst, int value, long bytes) {
        view(dst, bytes).fill((byte) value);
    }

    private record EmuKernel(String name, MemorySegment cName) implements Kernel {
    }

    @Override
    public Kernel kernel(String name) {
        return new EmuKernel(name, arena.allocateFrom(name));
    }

    @Override
    public void launch(Kernel kernel, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
                       int sharedBytes, KernelArgs args) {
        EmuKernel k = (EmuKernel) kernel;
        int rc;
        try {
            rc = (int) launchHandle.invokeExact(k.cName(), gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes,
                    args.pointerArray());
        } catch (Throwable t) {
            throw new CudaException("emulated launch of " + k.name() + " failed", t);
        }
        if (rc != 0) {
            String message;
            try {
                message = ((MemorySegment) lastErrorHandle.invokeExact()).reinterpret(4096).getString(0);
            } catch (Throwable t) {
                message = "(no message)";
            }
            throw new CudaException("emulated " + k.name() + ": " + message, rc);
        }
        verifyGuards(k.name());
    }

    private void verifyGuards(String kernel) {
        for (Map.Entry<Long, MemorySegment> e : allocations.entrySet()) {
            MemorySegment whole = e.getValue();
            long bytes = whole.byteSize() - 2 * GUARD;
            if (!guardIntact(whole.asSlice(0, GUARD)) || !guardIntact(whole.asSlice(GUARD + bytes, GUARD))) {
                // Restore so one fault is reported once.
                whole.asSlice(0, GUARD).fill(GUARD_BYTE);
                whole.asSlice(GUARD + bytes, GUARD).fill(GUARD_BYTE);
                throw new CudaException(kernel + " wrote outside allocation '" + purposes.get(e.getKey()) + "' ("
                        + bytes + " bytes)", -2);
            }
        }
    }

    private static boolean guardIntact(MemorySegment guard) {
        for (long i = 0; i < guard.byteSize(); i++) {
            if (guard.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) != GUARD_BYTE) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void synchronize() {
    }

    @Override
    public DeviceEvent record() {
        return new DeviceEvent() {
            @Override
            public void await() {
            }

            @Override
            public boolean done() {
                return true;
            }

            @Override
            public float millisSince(DeviceEvent earlier) {
                return 0;
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            allocations.clear();
            arena.close();
        }
    }
}
