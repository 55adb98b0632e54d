package io.fairlane.engine.cuda;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * The kernel contract on a real GPU, with contexts 8 times longer (up to 10,400 tokens) unless
 * {@code -Dfairlane.gpu.contextScale} says otherwise (the compute-sanitizer run uses 1).
 */
@Tag("gpu")
class GpuKernelTest extends KernelContract {

    @BeforeAll
    static void deviceUsable() {
        CudaProbe.Result probe = CudaProbe.probe();
        Assumptions.assumeTrue(probe.usable(), () -> "skipped: no usable CUDA device: " + probe.reason());
    }

    @Override
    DeviceRuntime openDevice() {
        return CudaDevice.open(0);
    }

    @Override
    int contextScale() {
        return Integer.getInteger("fairlane.gpu.contextScale", 8);
    }
}
