package io.fairlane.engine.cuda;

import io.fairlane.engine.cuda.EmulatedExecutions;
import io.fairlane.engine.exec.BackendOptions;
import io.fairlane.engine.model.Model;
import java.util.Optional;

/** For tests outside this package: a {@link CudaBackend} whose kernels run on the host emulator. */
public final class EmulatedBackends {

    private EmulatedBackends() {
    }

    public static Optional<String> unavailableReason() {
        return EmulatedExecutions.unavailableReason();
    }

    /** Opens the CUDA backend over {@code model} on the emulator (a 1 GiB device). */
    public static CudaBackend cuda(Model model, BackendOptions options) {
        return CudaBackend.open(model, options, (device, spec, weights, limits) ->
                EmulatedExecutions.open(spec, weights, limits));
    }
}
