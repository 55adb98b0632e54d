package io.fairlane.engine.cuda;

/**
 * Prints what the CUDA backend finds on this machine: the probe's answer, the kernel modules on the classpath,
 * every libcublas found and the one the driver would get. The first thing bench/gpu/run-all.sh runs.
 */
public final class GpuEnvironment {

    private GpuEnvironment() {
    }

    public static void main(String[] args) {
        CudaProbe.Result probe = CudaProbe.probe();
        System.out.println(probe.summary());
        System.out.println("kernel modules: " + KernelModules.names());
        NativeLibraries.SearchRoots roots = NativeLibraries.SearchRoots.fromSystem();
        var found = NativeLibraries.findCublas(roots);
        System.out.println("libcublas found: " + (found.isEmpty() ? "none (looked in " + NativeLibraries.describe(roots)
                + ")" : found));
        if (probe.driverVersion() > 0) {
            System.out.println("libcublas chosen for driver " + probe.driverVersion() + ": "
                    + NativeLibraries.chooseCublas(found, probe.driverVersion()).map(Object::toString).orElse("none"));
        }
        System.exit(probe.usable() ? 0 : 2);
    }
}
