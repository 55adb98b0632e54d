package io.fairlane.engine.cuda;

import io.fairlane.engine.exec.BackendOptions;
import io.fairlane.engine.model.Model;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/** The CUDA backend on a GPU against the CPU backend: 40-token continuations, CUDA graphs and cuBLAS in play. */
@Tag("gpu")
class GpuCudaBackendTest extends CudaBackendContract {

    @BeforeAll
    static void deviceUsable() {
        io.fairlane.engine.exec.ExecutionBackendProvider.Availability a = CudaBackend.probe();
        Assumptions.assumeTrue(a.usable(), () -> "skipped: no usable CUDA device: " + a.reason());
    }

    @Override
    CudaBackend openCuda(Model model, BackendOptions options) {
        return CudaBackend.open(model, options);
    }

    @Override
    int continuationTokens() {
        return 40;
    }

    @Override
    int realTokenizerTokens() {
        return 40;
    }
}
