package io.fairlane.engine.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fairlane.engine.exec.BackendOptions;
import io.fairlane.engine.exec.BackendUnavailableException;
import io.fairlane.engine.exec.ExecutionBackendProvider;
import io.fairlane.engine.model.DType;
import io.fairlane.engine.model.Model;
import io.fairlane.engine.model.TestModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the CUDA backend says on a machine without a GPU, and the checks it makes before touching one. */
class CudaBackendTest {

    @TempDir
    static Path root;

    private static void assumeNoDriver() {
        Assumptions.assumeFalse(CudaBackend.probe().usable(), "skipped: this machine has a usable CUDA device");
    }

    @Test
    void serviceLoader_findsTheCudaProviderByName() {
        assertThat(ExecutionBackendProvider.find("cuda")).get().isInstanceOf(CudaBackendProvider.class);
    }

    @Test
    void probe_withoutDriver_isUnusableAndSaysWhy() {
        assumeNoDriver();
        assertThat(CudaBackend.probe().reason()).contains("libcuda.so.1");
    }

    @Test
    void open_withoutDriver_refusesWithTheProbesReason() {
        assumeNoDriver();
        try (Model m = TestModels.open(root, "tiny", DType.BF16, 1)) {
            assertThatThrownBy(() -> CudaBackend.open(m, BackendOptions.cpu(1 << 20)))
                    .isInstanceOf(BackendUnavailableException.class)
                    .hasMessageStartingWith("CUDA backend not available: ")
                    .hasMessageContaining("libcuda.so.1");
        }
    }

    @Test
    void open_severalDevices_refusesNamingTheLimit() {
        try (Model m = TestModels.open(root, "tiny", DType.BF16, 1)) {
            BackendOptions two = new BackendOptions(16, 0, 0, List.of(0, 1), 0.9, 256, 8);
            assertThatThrownBy(() -> CudaBackend.open(m, two, (d, s, w, l) -> {
                throw new AssertionError("must not open a device");
            })).isInstanceOf(BackendUnavailableException.class).hasMessageContaining("one model runs on one GPU");
        }
    }

    @Test
    void specOf_everyTinyShape_isServedByTheKernels() {
        for (String shape : List.of("tiny", "tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-mistral")) {
            try (Model m = TestModels.open(root, shape, DType.BF16, 1)) {
                assertThat(CudaBackend.unsupportedReason(m.config())).as(shape).isEmpty();
            }
        }
    }
}
