package io.fairlane.engine.cuda;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/** The forward-pass contract on the host emulator (fallback GEMM kernel, no graphs). */
class EmulatedRunnerTest extends RunnerContract {

    @BeforeAll
    static void emulatorBuilt() {
        var reason = EmulatedDevice.unavailableReason();
        Assumptions.assumeTrue(reason.isEmpty(), () -> "skipped: " + reason.orElse(""));
    }

    @Override
    DeviceRuntime openDevice() {
        return EmulatedDevice.open();
    }

    @Override
    int greedyTokens() {
        return 6;
    }
}
