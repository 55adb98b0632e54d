package io.fairlane.engine.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Opening and closing a model on the emulator: the memory plan decides the pool, and close frees everything. */
class CudaExecutionTest {

    @BeforeAll
    static void emulatorBuilt() {
        var reason = EmulatedDevice.unavailableReason();
        Assumptions.assumeTrue(reason.isEmpty(), () -> "skipped: " + reason.orElse(""));
    }

    private static final CudaExecution.Limits LIMITS = new CudaExecution.Limits(16, 0, 0.55, 64, 4, true);

    @Test
    void open_freeMemoryFraction_sizesThePoolFromThePlan() {
        CudaModelSpec spec = TinyModel.spec("llama", false, false, false, 0, false);
        try (CudaExecution exec = CudaExecution.open(EmulatedDevice.open(), spec, new TinyModel(spec, 1), LIMITS)) {
            assertThat(exec.kvBlocks()).isEqualTo(exec.plan().kvBlocks()).isGreaterThan(32);
        }
    }

    @Test
    void close_afterSteps_freesEveryDeviceAllocation() {
        CudaModelSpec spec = TinyModel.spec("qwen3", false, true, false, 0, false);
        EmulatedDevice device = EmulatedDevice.open();
        CudaExecution exec = CudaExecution.open(device, spec, new TinyModel(spec, 2), LIMITS);
        exec.runner().step(List.of(StepSequence.sample(new int[] {1, 2, 3}, 0, new int[] {0},
                StepSequence.SampleSpec.greedy())));
        exec.runner().copyBlocks(new int[] {0, 1});
        exec.close();
        assertThat(device.allocatedBytes()).isZero();
    }

    @Test
    void open_missingTensor_failsNamingItAndFreesWhatItTook() {
        CudaModelSpec spec = TinyModel.spec("llama", false, false, false, 0, false);
        TinyModel model = new TinyModel(spec, 3);
        model.weights.remove("model.layers.1.mlp.up_proj.weight");
        EmulatedDevice device = EmulatedDevice.open();
        assertThatThrownBy(() -> CudaExecution.open(device, spec, model, LIMITS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("model.layers.1.mlp.up_proj.weight");
        assertThat(device.allocatedBytes()).isZero();
    }

    @Test
    void open_tensorOfWrongShape_failsNamingBothShapes() {
        CudaModelSpec spec = TinyModel.spec("llama", false, false, false, 0, false);
        CudaModelSpec wider = new CudaModelSpec("llama", 128, 512, 2, 4, 2, 32, 300, 1e-5f, false, false, false, false, 0,
                spec.ropeInverseFrequencies(), false, 512);
        assertThatThrownBy(() -> CudaExecution.open(EmulatedDevice.open(), wider, new TinyModel(spec, 4), LIMITS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mlp.gate_proj.weight has shape [256, 128], the config implies [512, 128]");
    }
}
