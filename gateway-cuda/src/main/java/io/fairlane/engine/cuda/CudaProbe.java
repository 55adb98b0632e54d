package io.fairlane.engine.cuda;

import java.util.Locale;
import java.util.Objects;

/**
 * Answers "can the CUDA backend run here, and if not, why" without ever taking the JVM down.
 *
 * <p>The order of checks matters: JCuda's JNI library links {@code libcuda.so.1}, and loading it on a machine
 * without the NVIDIA driver throws {@link UnsatisfiedLinkError} from a static initialiser (after which the class
 * is unusable for the life of the JVM). So the driver library is first opened through {@code java.lang.foreign}
 * (a failed dlopen there is an ordinary exception); only when it loads is JCuda touched, inside a catch of
 * {@link LinkageError}. The answer is computed once and cached.
 */
public final class CudaProbe {

    /** The oldest compute capability the kernels run on (bf16 tensor cores: Ampere). */
    public static final int MIN_COMPUTE_CAPABILITY = 80;

    private static volatile Result cached;

    private CudaProbe() {
    }

    /**
     * @param usable          whether {@code backend: cuda} can start on device 0
     * @param reason          why not (empty when usable); a sentence fit for a log line or an error message
     * @param deviceCount     visible CUDA devices (0 when the driver is absent)
     * @param deviceName      device 0's name, or empty
     * @param computeCapability device 0's compute capability as 10 * major + minor, or 0
     * @param totalMemoryBytes device 0's memory, or 0
     * @param driverVersion   the driver's CUDA version (1000 * major + 10 * minor), or 0
     */
    public record Result(boolean usable, String reason, int deviceCount, String deviceName, int computeCapability,
                         long totalMemoryBytes, int driverVersion) {
        public Result {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(deviceName, "deviceName");
        }

        static Result unusable(String reason) {
            return new Result(false, reason, 0, "", 0, 0, 0);
        }

        /** One line for logs: either the device or the reason. */
        public String summary() {
            if (!usable) {
                return "CUDA unavailable: " + reason;
            }
            return "CUDA device 0: " + deviceName + " (sm_" + computeCapability + ", "
                    + totalMemoryBytes / (1024 * 1024) + " MiB, driver " + driverVersion / 1000 + "."
                    + driverVersion % 1000 / 10 + ", " + deviceCount + " device(s))";
        }
    }

    /** The cached answer; the first call does the work (a few milliseconds with a driver, microseconds without). */
    public static Result probe() {
        Result r = cached;
        if (r == null) {
            synchronized (CudaProbe.class) {
                r = cached;
                if (r == null) {
                    r = compute(System.getProperty("os.name", ""), System.getProperty("os.arch", ""),
                            Boolean.getBoolean("fairlane.cuda.disabled"));
                    cached = r;
                }
            }
        }
        return r;
    }

    /** Throws {@link IllegalStateException} with the probe's reason when CUDA is not usable. */
    static void requireUsable() {
        Result r = probe();
        if (!r.usable()) {
            throw new IllegalStateException("CUDA backend unavailable: " + r.reason());
        }
    }

    static Result compute(String osName, String osArch, boolean disabled) {
        if (disabled) {
            return Result.unusable("disabled by -Dfairlane.cuda.disabled=true");
        }
        if (!osName.toLowerCase(Locale.ROOT).startsWith("linux")
                || !(osArch.equals("amd64") || osArch.equals("x86_64"))) {
            return Result.unusable("the CUDA backend runs on linux-x86_64 only (this is " + osName + "/" + osArch + ")");
        }
        var driverFailure = NativeLibraries.loadFailure("libcuda.so.1");
        if (driverFailure.isPresent()) {
            return Result.unusable("no NVIDIA driver: libcuda.so.1 cannot be loaded (" + driverFailure.get() + ")");
        }
        try {
            return DriverQueries.queryDevice0();
        } catch (LinkageError e) {
            return Result.unusable("JCuda's native driver binding failed to load: " + firstLine(e));
        } catch (RuntimeException e) {
            return Result.unusable("querying the CUDA driver failed: " + firstLine(e));
        }
    }

    private static String firstLine(Throwable e) {
        String m = Objects.requireNonNullElse(e.getMessage(), e.getClass().getName());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** The JCuda calls, in their own class so nothing JCuda is linked before the driver library is known to load. */
    private static final class DriverQueries {
        static Result queryDevice0() {
            int rc = jcuda.driver.JCudaDriver.cuInit(0);
            if (rc != jcuda.driver.CUresult.CUDA_SUCCESS) {
                return Result.unusable("cuInit failed: " + jcuda.driver.CUresult.stringFor(rc)
                        + (rc == jcuda.driver.CUresult.CUDA_ERROR_NO_DEVICE ? " (no CUDA device visible; check"
                        + " CUDA_VISIBLE_DEVICES and the container's GPU access)" : "")
                        + (rc == 35 /* CUDA_ERROR_INSUFFICIENT_DRIVER */ ? " (the driver is too old)" : ""));
            }
            int[] v = new int[1];
            CudaDevice.check(jcuda.driver.JCudaDriver.cuDriverGetVersion(v), "cuDriverGetVersion");
            int driver = v[0];
            CudaDevice.check(jcuda.driver.JCudaDriver.cuDeviceGetCount(v), "cuDeviceGetCount");
            int count = v[0];
            if (count == 0) {
                return new Result(false, "the driver reports no CUDA device (check CUDA_VISIBLE_DEVICES)", 0, "", 0,
                        0, driver);
            }
            jcuda.driver.CUdevice dev = new jcuda.driver.CUdevice();
            CudaDevice.check(jcuda.driver.JCudaDriver.cuDeviceGet(dev, 0), "cuDeviceGet(0)");
            byte[] name = new byte[256];
            CudaDevice.check(jcuda.driver.JCudaDriver.cuDeviceGetName(name, name.length, dev), "cuDeviceGetName");
            int len = 0;
            while (len < name.length && name[len] != 0) {
                len++;
            }
            String deviceName = new String(name, 0, len, java.nio.charset.StandardCharsets.UTF_8);
            int[] major = new int[1];
            int[] minor = new int[1];
            CudaDevice.check(jcuda.driver.JCudaDriver.cuDeviceGetAttribute(major,
                    jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev), "cc major");
            CudaDevice.check(jcuda.driver.JCudaDriver.cuDeviceGetAttribute(minor,
                    jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev), "cc minor");
            long[] total = new long[1];
            CudaDevice.check(jcuda.driver.JCudaDriver.cuDeviceTotalMem(total, dev), "cuDeviceTotalMem");
            int cc = major[0] * 10 + minor[0];
            if (cc < MIN_COMPUTE_CAPABILITY) {
                return new Result(false, deviceName + " is sm_" + cc + "; Fairlane's bf16 kernels need sm_80 (Ampere)"
                        + " or newer", count, deviceName, cc, total[0], driver);
            }
            String missing = KernelModules.unavailableReason();
            if (missing != null) {
                return new Result(false, missing, count, deviceName, cc, total[0], driver);
            }
            return new Result(true, "", count, deviceName, cc, total[0], driver);
        }
    }
}
