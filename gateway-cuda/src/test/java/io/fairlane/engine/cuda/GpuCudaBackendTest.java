package io.fairlane.engine.cuda;

import io.fairlane.engine.exec.BackendContract;
import io.fairlane.engine.exec.BackendOptions;
import io.fairlane.engine.exec.ExecutionBackend;
import io.fairlane.engine.exec.ExecutionBackendProvider;
import io.fairlane.engine.model.Model;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * The CUDA backend on a GPU against the CPU reference through the backend contract: 40-token continuations,
 * models with real tokenizers, CUDA graphs and cuBLAS in play.
 */
@Tag("gpu")
class GpuCudaBackendTest extends BackendContract {

    @BeforeAll
    static void deviceUsable() {
        ExecutionBackendProvider.Availability a = CudaBackend.probe();
        Assumptions.assumeTrue(a.usable(), () -> "skipped: no usable CUDA device: " + a.reason());
    }

    @Override
    protected ExecutionBackend openBackend(Model model, BackendOptions options) {
        return CudaBackend.open(model, options);
    }

    @Override
    protected Tolerance tolerance() {
        return Tolerance.BF16;
    }

    @Override
    protected int continuationTokens() {
        return 40;
    }

    @Override
    protected boolean holdsDeviceMemory() {
        return true;
    }
}
