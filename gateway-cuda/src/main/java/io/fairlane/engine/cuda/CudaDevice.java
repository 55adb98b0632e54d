package io.fairlane.engine.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventQuery;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuFuncSetAttribute;
import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemHostAlloc;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD8Async;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;

/**
 * One CUDA device through JCuda's driver API: the device's primary context (shared with cuBLAS, which runs on
 * the runtime API and picks up the current context), one non-blocking stream on which everything is ordered,
 * the project's kernel modules, and bookkeeping of every device and pinned host allocation so {@link #close()}
 * frees all of it.
 *
 * <p>Threading: confined to one thread at a time (the engine loop thread). The context is made current on the
 * calling thread whenever the thread changes, so the object may be created on one thread and used on another.
 *
 * <p>Errors: every driver call's result is checked; failures raise {@link CudaException} naming the call, the
 * CUresult and what it was for. Kernel faults surface at the next synchronising call; with
 * {@code -Dfairlane.cuda.syncLaunches=true} every launch is synchronised so the faulting kernel is named.
 */
public final class CudaDevice implements DeviceRuntime {

    private static final int STREAM_NON_BLOCKING = 1;
    private static final int DEFAULT_SHARED_LIMIT = 48 * 1024;

    private final int ordinal;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final DeviceStream stream = new DeviceStream();
    private final List<CUmodule> modules = new ArrayList<>();
    private final Map<String, DriverKernel> kernels = new HashMap<>();
    // The pointer objects the driver filled in are kept and handed back to free them, rather than rebuilt from the
    // raw address, so JCuda sees exactly what it created.
    private final Map<Long, DevicePointer> allocations = new LinkedHashMap<>();
    private final Map<Long, Long> allocationBytes = new HashMap<>();
    private final Map<Long, HostPointer> hostAllocations = new LinkedHashMap<>();
    private final Map<DriverGraph, Boolean> graphs = new IdentityHashMap<>();
    private final String name;
    private final int computeMajor;
    private final int computeMinor;
    private final int multiprocessors;
    private final int sharedOptIn;
    private final int driverVersion;
    private final boolean syncLaunches = Boolean.getBoolean("fairlane.cuda.syncLaunches");
    private long allocatedBytes;
    private boolean capturing;
    private Thread boundThread;
    private boolean closed;

    private CudaDevice(int ordinal) {
        this.ordinal = ordinal;
        check(cuInit(0), "cuInit");
        int[] value = new int[1];
        check(cuDriverGetVersion(value), "cuDriverGetVersion");
        driverVersion = value[0];
        check(cuDeviceGet(device, ordinal), "cuDeviceGet(" + ordinal + ")");
        byte[] nameBytes = new byte[256];
        check(cuDeviceGetName(nameBytes, nameBytes.length, device), "cuDeviceGetName");
        int len = 0;
        while (len < nameBytes.length && nameBytes[len] != 0) {
            len++;
        }
        name = new String(nameBytes, 0, len, java.nio.charset.StandardCharsets.UTF_8);
        computeMajor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        computeMinor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        multiprocessors = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        sharedOptIn = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
        check(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        bind();
        check(cuStreamCreate(stream, STREAM_NON_BLOCKING), "cuStreamCreate");
    }

    /**
     * Opens device {@code ordinal} and loads the kernel modules.
     *
     * @throws CudaException when the driver refuses, or {@link IllegalStateException} when the kernels are missing
     */
    public static CudaDevice open(int ordinal) {
        CudaProbe.requireUsable();
        CudaDevice dev = new CudaDevice(ordinal);
        try {
            dev.loadModules();
            return dev;
        } catch (RuntimeException e) {
            dev.close();
            throw e;
        }
    }

    private void loadModules() {
        for (KernelModules.Module m : KernelModules.load()) {
            CUmodule module = new CUmodule();
            check(cuModuleLoadData(module, m.image()), "cuModuleLoadData(" + m.name() + ")");
            modules.add(module);
        }
    }

    private int attribute(int attr) {
        int[] v = new int[1];
        check(cuDeviceGetAttribute(v, attr, device), "cuDeviceGetAttribute(" + attr + ")");
        return v[0];
    }

    public int ordinal() {
        return ordinal;
    }

    public int computeCapability() {
        return computeMajor * 10 + computeMinor;
    }

    public int multiprocessors() {
        return multiprocessors;
    }

    public int driverVersion() {
        return driverVersion;
    }

    /** The raw CUstream handle, for libraries (cuBLAS) that take a cudaStream_t. */
    long streamHandle() {
        return stream.handle();
    }

    @Override
    public String describe() {
        return name + " (sm_" + computeMajor + computeMinor + ", " + multiprocessors + " SMs, driver "
                + driverVersion / 1000 + "." + driverVersion % 1000 / 10 + ")";
    }

    private void bind() {
        Thread t = Thread.currentThread();
        if (t != boundThread) {
            check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
            boundThread = t;
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("CUDA device " + ordinal + " is closed");
        }
        bind();
    }

    @Override
    public long allocate(long bytes, String purpose) {
        ensureOpen();
        if (bytes <= 0) {
            throw new IllegalArgumentException("allocation of " + bytes + " bytes for " + purpose);
        }
        DevicePointer p = new DevicePointer();
        check(cuMemAlloc(p, bytes), "cuMemAlloc(" + bytes + " bytes for " + purpose + ")");
        long address = p.address();
        allocations.put(address, p);
        allocationBytes.put(address, bytes);
        allocatedBytes += bytes;
        return address;
    }

    @Override
    public void free(long address) {
        ensureOpen();
        DevicePointer p = allocations.remove(address);
        if (p == null) {
            throw new IllegalArgumentException("not an allocation of this device: 0x" + Long.toHexString(address));
        }
        allocatedBytes -= allocationBytes.remove(address);
        check(cuMemFree(p), "cuMemFree");
    }

    @Override
    public long allocatedBytes() {
        return allocatedBytes;
    }

    @Override
    public MemoryInfo memoryInfo() {
        ensureOpen();
        long[] free = new long[1];
        long[] total = new long[1];
        check(cuMemGetInfo(free, total), "cuMemGetInfo");
        return new MemoryInfo(free[0], total[0]);
    }

    @Override
    public MemorySegment allocateHost(long bytes) {
        ensureOpen();
        HostPointer p = new HostPointer(0);
        check(cuMemHostAlloc(p, bytes, 0), "cuMemHostAlloc(" + bytes + " bytes)");
        long address = p.address();
        hostAllocations.put(address, p);
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }

    @Override
    public void copyToDevice(long dst, MemorySegment src, long bytes) {
        ensureOpen();
        if (bytes == 0) {
            return;
        }
        check(cuMemcpyHtoDAsync(DevicePointer.at(dst), new HostPointer(src.address()), bytes, stream),
                "cuMemcpyHtoDAsync(" + bytes + " bytes)");
    }

    @Override
    public void copyToHost(MemorySegment dst, long src, long bytes) {
        ensureOpen();
        if (bytes == 0) {
            return;
        }
        check(cuMemcpyDtoHAsync(new HostPointer(dst.address()), DevicePointer.at(src), bytes, stream),
                "cuMemcpyDtoHAsync(" + bytes + " bytes)");
    }

    @Override
    public void copyOnDevice(long dst, long src, long bytes) {
        ensureOpen();
        if (bytes == 0) {
            return;
        }
        check(cuMemcpyDtoDAsync(DevicePointer.at(dst), DevicePointer.at(src), bytes, stream),
                "cuMemcpyDtoDAsync(" + bytes + " bytes)");
    }

    @Override
    public void fillBytes(long dst, int value, long bytes) {
        ensureOpen();
        check(cuMemsetD8Async(DevicePointer.at(dst), (byte) value, bytes, stream), "cuMemsetD8Async");
    }

    @Override
    public Kernel kernel(String kernelName) {
        ensureOpen();
        DriverKernel k = kernels.get(kernelName);
        if (k != null) {
            return k;
        }
        for (CUmodule module : modules) {
            CUfunction fn = new CUfunction();
            int rc = cuModuleGetFunction(fn, module, kernelName);
            if (rc == CUresult.CUDA_SUCCESS) {
                k = new DriverKernel(kernelName, fn);
                kernels.put(kernelName, k);
                return k;
            }
            if (rc != CUresult.CUDA_ERROR_NOT_FOUND) {
                check(rc, "cuModuleGetFunction(" + kernelName + ")");
            }
        }
        throw new CudaException("kernel " + kernelName + " is in none of the loaded modules "
                + KernelModules.names() + " (were the kernels rebuilt after a source change?)",
                CUresult.CUDA_ERROR_NOT_FOUND);
    }

    @Override
    public void launch(Kernel kernel, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
                       int sharedBytes, KernelArgs args) {
        ensureOpen();
        DriverKernel k = (DriverKernel) kernel;
        if (sharedBytes > k.sharedLimit) {
            if (sharedBytes > sharedOptIn) {
                throw new CudaException(k.name + " needs " + sharedBytes + " bytes of shared memory; " + name
                        + " allows " + sharedOptIn, CUresult.CUDA_ERROR_INVALID_VALUE);
            }
            check(cuFuncSetAttribute(k.function, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                    sharedBytes), "cuFuncSetAttribute(" + k.name + ", " + sharedBytes + " bytes shared)");
            k.sharedLimit = sharedBytes;
        }
        int rc = cuLaunchKernel(k.function, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes, stream,
                new HostPointer(args.pointerArray().address()), null);
        if (rc != CUresult.CUDA_SUCCESS) {
            check(rc, "cuLaunchKernel(" + k.name + ", grid " + gridX + "x" + gridY + "x" + gridZ + ", block "
                    + blockX + "x" + blockY + "x" + blockZ + ", " + sharedBytes + " bytes shared)");
        }
        if (syncLaunches && !capturing) {
            check(cuStreamSynchronize(stream), "kernel " + k.name);
        }
    }

    @Override
    public void synchronize() {
        ensureOpen();
        check(cuStreamSynchronize(stream), "cuStreamSynchronize");
    }

    @Override
    public DeviceEvent record() {
        ensureOpen();
        CUevent event = new CUevent();
        check(cuEventCreate(event, 0), "cuEventCreate");
        check(cuEventRecord(event, stream), "cuEventRecord");
        return new DriverEvent(event);
    }

    @Override
    public boolean supportsGraphs() {
        return true;
    }

    @Override
    public void beginCapture() {
        ensureOpen();
        check(cuStreamBeginCapture(stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
                "cuStreamBeginCapture");
        capturing = true;
    }

    @Override
    public DeviceGraph endCapture() {
        ensureOpen();
        CUgraph graph = new CUgraph();
        capturing = false;
        check(cuStreamEndCapture(stream, graph), "cuStreamEndCapture");
        CUgraphExec exec = new CUgraphExec();
        try {
            check(cuGraphInstantiate(exec, graph, 0), "cuGraphInstantiate");
        } finally {
            cuGraphDestroy(graph);
        }
        DriverGraph g = new DriverGraph(exec);
        graphs.put(g, Boolean.TRUE);
        return g;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        bind();
        // Best effort from here on: free everything even when one step fails, then report the first failure.
        List<String> failures = new ArrayList<>();
        note(failures, cuCtxSynchronize(), "cuCtxSynchronize");
        for (DriverGraph g : List.copyOf(graphs.keySet())) {
            g.close();
        }
        for (DevicePointer p : allocations.values()) {
            note(failures, cuMemFree(p), "cuMemFree");
        }
        allocations.clear();
        allocationBytes.clear();
        allocatedBytes = 0;
        for (HostPointer p : hostAllocations.values()) {
            note(failures, cuMemFreeHost(p), "cuMemFreeHost");
        }
        hostAllocations.clear();
        for (CUmodule m : modules) {
            note(failures, cuModuleUnload(m), "cuModuleUnload");
        }
        modules.clear();
        kernels.clear();
        note(failures, cuStreamDestroy(stream), "cuStreamDestroy");
        note(failures, cuDevicePrimaryCtxRelease(device), "cuDevicePrimaryCtxRelease");
        closed = true;
        if (!failures.isEmpty()) {
            throw new CudaException("closing CUDA device " + ordinal + ": " + String.join("; ", failures), -1);
        }
    }

    private static void note(List<String> failures, int rc, String what) {
        if (rc != CUresult.CUDA_SUCCESS) {
            failures.add(what + ": " + CUresult.stringFor(rc));
        }
    }

    static void check(int rc, String what) {
        if (rc != CUresult.CUDA_SUCCESS) {
            throw new CudaException(what + " failed: " + CUresult.stringFor(rc) + hint(rc), rc);
        }
    }

    private static String hint(int rc) {
        return switch (rc) {
            case CUresult.CUDA_ERROR_OUT_OF_MEMORY -> " (device memory exhausted: lower deviceMemoryFraction or the KV cache size)";
            case CUresult.CUDA_ERROR_NO_BINARY_FOR_GPU, CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION ->
                    " (the kernels were built for sm_80/86/89/90 + compute_90 PTX; this GPU or driver cannot run them)";
            case CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, CUresult.CUDA_ERROR_LAUNCH_FAILED ->
                    " (a kernel faulted; the context is unusable. Rerun with -Dfairlane.cuda.syncLaunches=true"
                            + " or under compute-sanitizer to name it)";
            default -> "";
        };
    }

    /** A kernel function with the dynamic shared memory limit set on it so far. */
    private static final class DriverKernel implements Kernel {
        final String name;
        final CUfunction function;
        int sharedLimit = DEFAULT_SHARED_LIMIT;

        DriverKernel(String name, CUfunction function) {
            this.name = name;
            this.function = function;
        }

        @Override
        public String name() {
            return name;
        }
    }

    private final class DriverEvent implements DeviceEvent {
        private final CUevent event;
        private boolean completed;

        DriverEvent(CUevent event) {
            this.event = event;
        }

        @Override
        public void await() {
            if (!completed) {
                check(cuEventSynchronize(event), "cuEventSynchronize");
                completed = true;
            }
        }

        @Override
        public boolean done() {
            if (completed) {
                return true;
            }
            int rc = cuEventQuery(event);
            if (rc == CUresult.CUDA_ERROR_NOT_READY) {
                return false;
            }
            check(rc, "cuEventQuery");
            completed = true;
            return true;
        }

        @Override
        public float millisSince(DeviceEvent earlier) {
            DriverEvent e = (DriverEvent) earlier;
            e.await();
            await();
            float[] ms = new float[1];
            check(cuEventElapsedTime(ms, e.event, event), "cuEventElapsedTime");
            return ms[0];
        }

        @Override
        public void close() {
            cuEventDestroy(event);
        }
    }

    private final class DriverGraph implements DeviceGraph {
        private CUgraphExec exec;

        DriverGraph(CUgraphExec exec) {
            this.exec = exec;
        }

        @Override
        public void launch() {
            ensureOpen();
            if (exec == null) {
                throw new IllegalStateException("graph closed");
            }
            check(cuGraphLaunch(exec, stream), "cuGraphLaunch");
            if (syncLaunches) {
                check(cuStreamSynchronize(stream), "graph replay");
            }
        }

        @Override
        public void close() {
            if (exec != null) {
                cuGraphExecDestroy(exec);
                exec = null;
                graphs.remove(this);
            }
        }
    }

    /** A CUdeviceptr whose raw address can be read (JCuda keeps it in a protected field). */
    static final class DevicePointer extends CUdeviceptr {
        long address() {
            return getNativePointer() + getByteOffset();
        }

        /** A CUdeviceptr naming a raw device address; JCuda passes nativePointer + byteOffset to the driver. */
        static CUdeviceptr at(long address) {
            return new CUdeviceptr().withByteOffset(address);
        }
    }

    /** A jcuda Pointer over a raw host address (JCuda requires a non-zero nativePointer for async copies). */
    static final class HostPointer extends Pointer {
        HostPointer(long address) {
            super(address);
        }

        long address() {
            return getNativePointer() + getByteOffset();
        }
    }

    /** A CUstream whose raw handle can be read, for cublasSetStream. */
    static final class DeviceStream extends CUstream {
        long handle() {
            return getNativePointer();
        }
    }

    @Override
    public String toString() {
        return "CudaDevice[" + ordinal + ", " + Objects.requireNonNullElse(name, "?") + "]";
    }
}
