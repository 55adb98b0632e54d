package io.fairlane.engine.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.util.Objects;

/**
 * cuBLAS through {@code java.lang.foreign}: the handful of entry points the forward pass needs, bound by name
 * from whichever {@code libcublas.so.13} or {@code .12} {@link NativeLibraries} found. Binding it ourselves
 * instead of through JCuda's jcublas (which links {@code libcublas.so.12}) lets one build use CUDA 12 and
 * CUDA 13 hosts alike. The entry points used exist with the same signatures in both majors.
 *
 * <p>The handle is bound to the device's stream and given a fixed workspace, which keeps cuBLAS from
 * allocating during CUDA graph capture. Threading: confined to the engine loop thread, like the device.
 */
final class Cublas implements AutoCloseable {

    static final int OP_N = 0;
    static final int OP_T = 1;
    static final int R_32F = 0;
    static final int R_16BF = 14;
    static final int COMPUTE_32F = 68;
    static final int GEMM_DEFAULT = -1;
    static final long WORKSPACE_BYTES = 32L << 20;

    private final NativeLibraries.CublasLibrary library;
    private final Arena arena = Arena.ofShared();
    private final MethodHandle destroy;
    private final MethodHandle gemmEx;
    private final MemorySegment handle;
    private final MemorySegment one;
    private final MemorySegment zero;
    private final int version;

    private Cublas(NativeLibraries.CublasLibrary library, long stream, long workspace) {
        this.library = library;
        Linker linker = Linker.nativeLinker();
        Arena global = Arena.global();
        if (Files.exists(library.companionLt())) {
            // libcublas needs libcublasLt of the same version; loading it first satisfies the dependency
            // by soname even when the folder is not on the loader's path.
            SymbolLookup.libraryLookup(library.companionLt(), global);
        }
        SymbolLookup lookup = SymbolLookup.libraryLookup(library.path(), global);
        MethodHandle create = bind(linker, lookup, "cublasCreate_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        MethodHandle setStream = bind(linker, lookup, "cublasSetStream_v2",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        MethodHandle setWorkspace = bind(linker, lookup, "cublasSetWorkspace_v2",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
        MethodHandle getVersion = bind(linker, lookup, "cublasGetVersion_v2",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        destroy = bind(linker, lookup, "cublasDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        gemmEx = bind(linker, lookup, "cublasGemmEx", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
                ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        MemorySegment handleOut = arena.allocate(ADDRESS);
        check(invoke(create, handleOut), "cublasCreate");
        handle = handleOut.get(ADDRESS, 0);
        check(invoke(setStream, handle, MemorySegment.ofAddress(stream)), "cublasSetStream");
        check(invoke(setWorkspace, handle, MemorySegment.ofAddress(workspace), WORKSPACE_BYTES), "cublasSetWorkspace");
        MemorySegment v = arena.allocate(JAVA_INT);
        check(invoke(getVersion, handle, v), "cublasGetVersion");
        version = v.get(JAVA_INT, 0);
        one = arena.allocate(JAVA_FLOAT);
        one.set(JAVA_FLOAT, 0, 1.0f);
        zero = arena.allocate(JAVA_FLOAT);
        zero.set(JAVA_FLOAT, 0, 0.0f);
    }

    /**
     * Loads {@code library} and creates a handle on {@code stream} (a raw CUstream) with {@code workspace}, a
     * device buffer of {@link #WORKSPACE_BYTES}. The device's context must be current on this thread.
     */
    static Cublas open(NativeLibraries.CublasLibrary library, long stream, long workspace) {
        Objects.requireNonNull(library, "library");
        try {
            return new Cublas(library, stream, workspace);
        } catch (IllegalArgumentException e) {
            throw new CudaException("cannot load " + library.path() + ": " + e.getMessage(), e);
        }
    }

    int version() {
        return version;
    }

    String describe() {
        return "cuBLAS " + version / 10000 + "." + version % 10000 / 100 + "." + version % 100 + " (" + library.path() + ")";
    }

    /**
     * y[m, n] = x[m, k] . w[n, k]^T with row-major bf16 x and w, y bf16 or f32; f32 accumulation.
     * In cuBLAS's column-major terms that is y^T (n x m) = op_T(w) (n x k) . x^T (k x m).
     */
    void matmulTransposedB(long x, long w, long y, int m, int n, int k, boolean outF32) {
        int rc = invokeGemm(OP_T, OP_N, n, m, k, one, MemorySegment.ofAddress(w), R_16BF, k,
                MemorySegment.ofAddress(x), R_16BF, k, zero, MemorySegment.ofAddress(y), outF32 ? R_32F : R_16BF, n);
        if (rc != 0) {
            check(rc, "cublasGemmEx(m=" + m + ", n=" + n + ", k=" + k + (outF32 ? ", f32 out" : "") + ")");
        }
    }

    private int invokeGemm(int opA, int opB, int m, int n, int k, MemorySegment alpha, MemorySegment a, int aType,
                           int lda, MemorySegment b, int bType, int ldb, MemorySegment beta, MemorySegment c,
                           int cType, int ldc) {
        try {
            return (int) gemmEx.invokeExact(handle, opA, opB, m, n, k, alpha, a, aType, lda, b, bType, ldb, beta, c,
                    cType, ldc, COMPUTE_32F, GEMM_DEFAULT);
        } catch (Throwable t) {
            throw new CudaException("cublasGemmEx call failed", t);
        }
    }

    @Override
    public void close() {
        try {
            invoke(destroy, handle);
        } finally {
            arena.close();
        }
    }

    private static MethodHandle bind(Linker linker, SymbolLookup lookup, String name, FunctionDescriptor fd) {
        MemorySegment symbol = lookup.find(name).orElseThrow(() ->
                new CudaException("symbol " + name + " not found in cuBLAS", -1));
        return linker.downcallHandle(symbol, fd);
    }

    private static int invoke(MethodHandle mh, Object... args) {
        try {
            return (int) mh.invokeWithArguments(args);
        } catch (Throwable t) {
            throw new CudaException("cuBLAS call failed", t);
        }
    }

    static void check(int status, String what) {
        if (status != 0) {
            throw new CudaException(what + " failed: " + statusName(status), status);
        }
    }

    static String statusName(int status) {
        return switch (status) {
            case 0 -> "CUBLAS_STATUS_SUCCESS";
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case 11 -> "CUBLAS_STATUS_MAPPING_ERROR";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
            case 16 -> "CUBLAS_STATUS_LICENSE_ERROR";
            default -> "cuBLAS status " + status;
        };
    }
}
