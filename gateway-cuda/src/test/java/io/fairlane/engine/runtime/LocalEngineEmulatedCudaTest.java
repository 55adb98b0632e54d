package io.fairlane.engine.runtime;

import io.fairlane.engine.cuda.EmulatedBackends;
import io.fairlane.engine.exec.BackendOptions;
import io.fairlane.engine.exec.ExecutionBackend;
import io.fairlane.engine.model.Model;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/** The engine contract on the CUDA backend whose kernels run on the host emulator, in every build. */
class LocalEngineEmulatedCudaTest extends LocalEngineContract {

    @BeforeAll
    static void emulatorBuilt() {
        var reason = EmulatedBackends.unavailableReason();
        Assumptions.assumeTrue(reason.isEmpty(), () -> "skipped: " + reason.orElse(""));
    }

    @Override
    ExecutionBackend openBackend(Model model, BackendOptions options) {
        return EmulatedBackends.cuda(model, options);
    }

    @Override
    boolean holdsDeviceMemory() {
        return true;
    }

    @Override
    boolean feedsSampledTokens() {
        return true;
    }
}
