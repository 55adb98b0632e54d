package io.fairlane.engine.cuda;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/** The kernel contract on the host emulator: runs in every build that has a C++ compiler. */
class EmulatedKernelTest extends KernelContract {

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
    int contextScale() {
        return 1;
    }
}
