package io.fairlane.engine.cuda;

import io.fairlane.engine.exec.BackendOptions;
import io.fairlane.engine.exec.ExecutionBackend;
import io.fairlane.engine.exec.ExecutionBackendProvider;
import io.fairlane.engine.model.Model;

/** The CUDA backend's provider, registered in {@code META-INF/services}: {@link CudaBackend#probe} and open. */
public final class CudaBackendProvider implements ExecutionBackendProvider {

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public Availability probe() {
        return CudaBackend.probe();
    }

    @Override
    public ExecutionBackend open(Model model, BackendOptions options) {
        return CudaBackend.open(model, options);
    }
}
