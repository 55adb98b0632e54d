package io.fairlane.engine.cuda;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the GEMM: cuBLAS through {@link Cublas} when the device is a real GPU and a libcublas the driver
 * supports is found, else the project's tensor-core kernel. {@code -Dfairlane.cuda.gemm=kernel} forces the kernel
 * (to compare the two); {@code =cublas} makes a missing cuBLAS an error instead of a fallback.
 */
final class GemmFactory {

    private static final Logger LOG = LoggerFactory.getLogger(GemmFactory.class);

    private GemmFactory() {
    }

    /** @param arena owns the fallback kernel's argument buffer; must outlive the GEMM */
    static Gemm create(DeviceRuntime device, Arena arena) {
        String mode = System.getProperty("fairlane.cuda.gemm", "auto");
        if (!(device instanceof CudaDevice cuda) || mode.equals("kernel")) {
            return new Gemm.KernelGemm(new Kernels(device, arena));
        }
        NativeLibraries.SearchRoots roots = NativeLibraries.SearchRoots.fromSystem();
        List<NativeLibraries.CublasLibrary> found = NativeLibraries.findCublas(roots);
        Optional<NativeLibraries.CublasLibrary> chosen = NativeLibraries.chooseCublas(found, cuda.driverVersion());
        if (chosen.isEmpty()) {
            String why = found.isEmpty()
                    ? "no libcublas.so.13 or .12 found (looked in " + NativeLibraries.describe(roots) + ")"
                    : "found " + found + ", but the driver (CUDA " + cuda.driverVersion() / 1000 + ") supports none";
            if (mode.equals("cublas")) {
                throw new IllegalStateException("cuBLAS required by -Dfairlane.cuda.gemm=cublas: " + why);
            }
            LOG.warn("cuBLAS unavailable, using Fairlane's GEMM kernel (slower): {}", why);
            return new Gemm.KernelGemm(new Kernels(device, arena));
        }
        long workspace = device.allocate(Cublas.WORKSPACE_BYTES, "cuBLAS workspace");
        try {
            Cublas cublas = Cublas.open(chosen.get(), cuda.streamHandle(), workspace);
            LOG.info("GEMMs through {}", cublas.describe());
            return new Gemm.CublasGemm(cublas, workspace, device);
        } catch (RuntimeException e) {
            device.free(workspace);
            if (mode.equals("cublas")) {
                throw e;
            }
            LOG.warn("loading {} failed, using Fairlane's GEMM kernel: {}", chosen.get().path(), e.getMessage());
            return new Gemm.KernelGemm(new Kernels(device, arena));
        }
    }
}
