package io.fairlane.engine.cuda;

import java.util.Optional;

/**
 * For tests outside this package: opens a {@link CudaExecution} on the host emulator of the kernels, so the CUDA
 * backend's adapter runs in every build. Memory looks like a 1 GiB device.
 */
public final class EmulatedExecutions {

    private EmulatedExecutions() {
    }

    /** Why the emulator cannot run here, if it cannot. */
    public static Optional<String> unavailableReason() {
        return EmulatedDevice.unavailableReason();
    }

    public static CudaExecution open(CudaModelSpec spec, WeightSource weights, CudaExecution.Limits limits) {
        return CudaExecution.open(EmulatedDevice.open(), spec, weights, limits);
    }
}
