package io.fairlane.engine.cuda;

import io.fairlane.engine.cuda.EmulatedExecutions;
import io.fairlane.engine.exec.BackendOptions;
import io.fairlane.engine.model.Model;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/** The CUDA backend on the kernel emulator against the CPU backend, in every build. */
class EmulatedCudaBackendTest extends CudaBackendContract {

    @BeforeAll
    static void emulatorBuilt() {
        var reason = EmulatedExecutions.unavailableReason();
        Assumptions.assumeTrue(reason.isEmpty(), () -> "skipped: " + reason.orElse(""));
    }

    @Override
    CudaBackend openCuda(Model model, BackendOptions options) {
        return CudaBackend.open(model, options, (device, spec, weights, limits) ->
                EmulatedExecutions.open(spec, weights, limits));
    }

    @Override
    int continuationTokens() {
        return 12;
    }

    @Override
    int realTokenizerTokens() {
        return 0;
    }
}
