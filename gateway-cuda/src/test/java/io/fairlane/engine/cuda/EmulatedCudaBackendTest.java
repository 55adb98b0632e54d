package io.fairlane.engine.cuda;

import io.fairlane.engine.exec.BackendContract;
import io.fairlane.engine.exec.BackendOptions;
import io.fairlane.engine.exec.ExecutionBackend;
import io.fairlane.engine.model.Model;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/**
 * The CUDA backend, its kernels running on the host emulator, against the CPU reference through the backend
 * contract, in every build with a C++ compiler.
 */
class EmulatedCudaBackendTest extends BackendContract {

    @BeforeAll
    static void emulatorBuilt() {
        var reason = EmulatedExecutions.unavailableReason();
        Assumptions.assumeTrue(reason.isEmpty(), () -> "skipped: " + reason.orElse(""));
    }

    @Override
    protected ExecutionBackend openBackend(Model model, BackendOptions options) {
        return EmulatedBackends.cuda(model, options);
    }

    @Override
    protected Tolerance tolerance() {
        return Tolerance.BF16;
    }

    @Override
    protected Optional<String> realTokenizersSkipped() {
        return Optional.of("on the kernel emulator, output projections over 32k-152k ids take about 20 s per model;"
                + " the GPU run covers them");
    }

    @Override
    protected boolean holdsDeviceMemory() {
        return true;
    }
}
