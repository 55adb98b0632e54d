package io.fairlane.engine.exec;

import io.fairlane.engine.model.Model;

/** The CPU backend's provider: always usable. Registered in {@code META-INF/services}. */
public final class CpuBackendProvider implements ExecutionBackendProvider {

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Availability probe() {
        return new Availability(true, "CPU: " + Runtime.getRuntime().availableProcessors() + " processors");
    }

    @Override
    public ExecutionBackend open(Model model, BackendOptions options) {
        return CpuBackend.open(model, options);
    }
}
