package io.fairlane.engine.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class CudaProbeTest {

    @Test
    void probe_machineWithoutDriver_reportsMissingLibcudaInsteadOfCrashing() {
        Assumptions.assumeTrue(NativeLibraries.loadFailure("libcuda.so.1").isPresent(),
                "skipped: this machine has an NVIDIA driver, so there is no 'no driver' answer to check");
        CudaProbe.Result result = CudaProbe.probe();
        assertThat(result.usable()).isFalse();
        assertThat(result.reason()).contains("no NVIDIA driver").contains("libcuda.so.1");
    }

    @Test
    void open_machineWithoutDriver_failsWithTheProbesReason() {
        Assumptions.assumeTrue(NativeLibraries.loadFailure("libcuda.so.1").isPresent(),
                "skipped: this machine has an NVIDIA driver");
        assertThatThrownBy(() -> CudaDevice.open(0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("CUDA backend unavailable")
                .hasMessageContaining("libcuda.so.1");
    }

    @Test
    void compute_otherPlatform_saysLinuxX8664Only() {
        CudaProbe.Result result = CudaProbe.compute("Mac OS X", "aarch64", false);
        assertThat(result.reason()).contains("linux-x86_64 only");
    }

    @Test
    void compute_disabledByProperty_saysSo() {
        CudaProbe.Result result = CudaProbe.compute("Linux", "amd64", true);
        assertThat(result.reason()).contains("fairlane.cuda.disabled");
    }

    @Test
    void summary_unusable_carriesTheReason() {
        assertThat(CudaProbe.Result.unusable("why not").summary()).isEqualTo("CUDA unavailable: why not");
    }
}
